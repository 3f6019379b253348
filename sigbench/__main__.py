from sigbench.cli import main

main()
