/* Cortex-M4 test harness for a C export (scripts/mcu_check.sh): classifies the images of
   images.h with sigbench_model_predict and prints one class index per line through ARM
   semihosting, then the stack's high-water mark and the SysTick ticks spent in the model.
   No C library beyond what model.c needs.

   Timing: SysTick counts down on the core clock. Under `qemu-system-arm -icount shift=0`
   the emulated clock advances by a fixed time per executed instruction, so ticks measure
   instructions, not the cycles of a real chip; a calibration loop of known length converts
   them (see scripts/mcu_check.sh). */
#include <stdint.h>

#include "images.h"
#include "model.h"

#define STACK_PAINT 0xA5A5A5A5u
#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
#define SYST_MASK 0xFFFFFFu
#define CALIBRATION_ITERATIONS 1000000u /* two instructions each: subs, bne */

extern uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end;
extern uint32_t _stack_bottom, _stack_top;

static int semihost(int operation, const void *argument) {
  register int r0 __asm__("r0") = operation;
  register const void *r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static void print(const char *text) { semihost(0x04, text); } /* SYS_WRITE0 */

static void print_number(const char *label, unsigned long value) {
  char text[64], digits[12]; /* labels are short: the longest is 25 characters */
  int n = 0, k = 0;
  while (*label) text[n++] = *label++;
  do digits[k++] = (char)('0' + value % 10); while ((value /= 10) > 0);
  while (k > 0) text[n++] = digits[--k];
  text[n++] = '\n';
  text[n] = 0;
  print(text);
}

#ifdef SIGBENCH_NO_MODEL
/* The same firmware without the model, so that the model's share of flash and RAM is the
   difference: it still reads every image, so the images stay linked in. */
void sigbench_model_predict(const uint8_t *pixels, float *scores) {
  for (int k = 0; k < SIGBENCH_MODEL_CLASSES; k++) scores[k] = pixels[k];
}
#endif

/* SysTick ticks elapsed since `start` (a down-counter, 24 bits: one wrap at most, as each
   measured span is far below 2^24 ticks). */
static uint32_t ticks_since(uint32_t start) { return (start - SYST_CVR) & SYST_MASK; }

static uint32_t calibration_ticks(void) {
  uint32_t start = SYST_CVR;
  register uint32_t count __asm__("r0") = CALIBRATION_ITERATIONS;
  __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(count) : : "cc");
  return ticks_since(start);
}

int main(void) {
  float scores[SIGBENCH_MODEL_CLASSES];
  unsigned long model_ticks = 0;
  SYST_RVR = SYST_MASK;
  SYST_CVR = 0;
  SYST_CSR = 5u; /* enable, core clock, no interrupt */
  print_number("calibration_instructions ", 2ul * CALIBRATION_ITERATIONS);
  print_number("calibration_ticks ", calibration_ticks());
  for (int i = 0; i < TEST_IMAGES; i++) {
    uint32_t start = SYST_CVR;
    sigbench_model_predict(test_images[i], scores);
    model_ticks += ticks_since(start);
    int best = 0;
    for (int k = 1; k < SIGBENCH_MODEL_CLASSES; k++) best = scores[k] > scores[best] ? k : best;
    print_number("class ", (unsigned long)best);
  }
  print_number("model_ticks ", model_ticks);
  uint32_t *word = &_stack_bottom;
  while (word < &_stack_top && *word == STACK_PAINT) word++;
  print_number("stack_bytes ", (unsigned long)((char *)&_stack_top - (char *)word));
  return 0;
}

void reset_handler(void) {
  /* Paint the stack up to 256 bytes below its top (this frame), copy .data, zero .bss, enable the FPU. */
  uint32_t *word = &_stack_bottom, *below_frame = (uint32_t *)((uintptr_t)&_stack_top - 256);
  while (word < below_frame) *word++ = STACK_PAINT;
  for (uint32_t *src = &_data_load, *dst = &_data_start; dst < &_data_end;) *dst++ = *src++;
  for (uint32_t *dst = &_bss_start; dst < &_bss_end;) *dst++ = 0;
  *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20; /* CPACR: CP10 and CP11 full access */
  __asm__ volatile("dsb\n isb");
  main();
  semihost(0x18, (const void *)0x20026); /* SYS_EXIT, ADP_Stopped_ApplicationExit */
  for (;;) {
  }
}

static void fault_handler(void) {
  print("fault\n");
  semihost(0x18, (const void *)0x20023); /* SYS_EXIT, ADP_Stopped_RunTimeErrorUnknown */
  for (;;) {
  }
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &_stack_top, (const void *)reset_handler, (const void *)fault_handler,
    (const void *)fault_handler, (const void *)fault_handler, (const void *)fault_handler,
    (const void *)fault_handler,
};
