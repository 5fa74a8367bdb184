import { useState } from 'react';

/** The `after` cursors of the pages seen so far (page 0 has none). */
export function usePaging() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const page = cursors.length - 1;
  return {
    page,
    after: cursors[page],
    next: (endCursor: string | null | undefined) => endCursor && setCursors((list) => [...list, endCursor]),
    previous: () => setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list)),
    reset: () => setCursors([null]),
  };
}
