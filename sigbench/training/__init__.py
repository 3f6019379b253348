"""Training: the loop, losses, metrics and cost figures. Knows models, not datasets."""
