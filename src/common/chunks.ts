/**
 * Working through long lists without holding the event loop: a group of 20,000 members is built,
 * resolved and loaded in chunks, with a turn of the event loop (timers, I/O, other requests)
 * between two chunks, so that no single synchronous stretch lasts long. Short lists never pause.
 */

/** Items handled between two turns of the event loop (a few milliseconds of work at most). */
export const ITEMS_PER_CHUNK = 2000;

/** Lets the event loop run its timers and I/O before the caller goes on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A synchronous computation written as a generator that pauses (`yield`) where the event loop may
 * run in between. `runNow` runs it to its end at once, `runInChunks` gives the event loop a turn
 * at each pause: the same code either way, so the results are the same.
 */
export type Chunked<T> = Generator<void, T, undefined>;

export function runNow<T>(work: Chunked<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

export async function runInChunks<T>(work: Chunked<T>): Promise<T> {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    await yieldToEventLoop();
  }
}

/** Calls `each` for every item in order, pausing after every `size` items (not after the last). */
export function* eachChunked<T>(items: readonly T[], each: (item: T) => void, size = ITEMS_PER_CHUNK): Chunked<void> {
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) yield;
    const end = Math.min(items.length, start + size);
    for (let index = start; index < end; index++) each(items[index]);
  }
}

/** `eachChunked` with a turn of the event loop at each pause. */
export function forEachInChunks<T>(items: readonly T[], each: (item: T) => void, size = ITEMS_PER_CHUNK): Promise<void> {
  return runInChunks(eachChunked(items, each, size));
}
