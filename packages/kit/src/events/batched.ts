const notReady = Symbol("not ready");

/**
 * Groups what an async source already has available into arrays of at most `max`, without
 * waiting for more: under load events arrive in batches, when idle one at a time.
 */
export async function* batched<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  for (;;) {
    const first = await pending;
    if (first.done) return;
    const batch = [first.value];
    pending = iterator.next();
    while (batch.length < max) {
      const next = await Promise.race([
        pending,
        new Promise<typeof notReady>((resolve) => setImmediate(resolve, notReady)),
      ]);
      if (next === notReady) break;
      if (next.done) {
        yield batch;
        return;
      }
      batch.push(next.value);
      pending = iterator.next();
    }
    yield batch;
  }
}
