/**
 * Runs `call` over the requests with at most `concurrency` of them in flight, and returns the
 * outcomes in request order. The pipeline's default batch call: a plugin's single `provision`
 * call, many at once over the plugin's shared connection (LDAP multiplexes operations, HTTP keeps
 * connections alive).
 */
export async function provisionEach<TRequest, TOutcome>(
  requests: readonly TRequest[],
  concurrency: number,
  call: (request: TRequest, index: number) => Promise<TOutcome>,
): Promise<TOutcome[]> {
  const outcomes = new Array<TOutcome>(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      outcomes[index] = await call(requests[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, requests.length)) }, worker));
  return outcomes;
}
