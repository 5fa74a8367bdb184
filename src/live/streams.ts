/**
 * Maps and filters an async iterator without turning it into a generator, so that `return()`
 * reaches the source at once (a generator would only see it at its next `yield`).
 */
export function filterMap<T, U>(source: AsyncIterableIterator<T>, map: (value: T) => Promise<U | null>): AsyncIterableIterator<U> {
  const iterator: AsyncIterableIterator<U> = {
    async next(): Promise<IteratorResult<U>> {
      for (;;) {
        const result = await source.next();
        if (result.done) return { value: undefined, done: true };
        const mapped = await map(result.value);
        if (mapped !== null) return { value: mapped, done: false };
      }
    },
    async return(): Promise<IteratorResult<U>> {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown): Promise<IteratorResult<U>> {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * Yields a value each time it changes: it reloads on `poke()` (a notification) or every
 * `intervalMs`, and finishes after yielding a final value. Holds one value, whatever happens.
 */
export class ChangeStream<T> implements AsyncIterableIterator<T> {
  private lastKey: string | null = null;
  private finished = false;
  private ended = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pending: T | null;

  constructor(
    first: T,
    private readonly load: () => Promise<T | null>,
    private readonly key: (value: T) => string,
    private readonly isFinal: (value: T) => boolean,
    private readonly intervalMs: number,
    private readonly onEnd: () => void,
  ) {
    this.pending = first;
  }

  /** Something changed: reload now. */
  poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async next(): Promise<IteratorResult<T>> {
    while (!this.ended && !this.finished) {
      const value = this.pending ?? (await this.load());
      this.pending = null;
      if (this.ended) break;
      if (value === null) break;
      const key = this.key(value);
      if (key !== this.lastKey) {
        this.lastKey = key;
        if (this.isFinal(value)) this.finished = true;
        return { value, done: false };
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.intervalMs);
      });
      if (this.timer) clearTimeout(this.timer);
    }
    this.end();
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<T>> {
    this.end();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.onEnd();
    this.poke();
  }
}
