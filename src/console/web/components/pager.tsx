/** Cursor paging: the cursors of the pages before this one are kept to go back. */
export function Pager({
  page,
  hasNext,
  onPrevious,
  onNext,
  total,
  shown,
}: {
  page: number;
  hasNext: boolean;
  onPrevious(): void;
  onNext(): void;
  total: number;
  shown: number;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={onPrevious} disabled={page === 0}>
        Previous page
      </button>
      <span role="status">
        Page {page + 1}, {shown} of {total}
      </span>
      <button type="button" onClick={onNext} disabled={!hasNext}>
        Next page
      </button>
    </nav>
  );
}
