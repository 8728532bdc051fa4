import { useEffect } from 'react';
import { useDesignerStore } from './store';
import { useNotice } from './use-designer';

/** The latest message (a refused connection, a validation result), read out politely and dismissed after a while. */
export function NoticeToast() {
  const notice = useNotice();
  const dismiss = useDesignerStore((s) => s.dismissNotice);
  useEffect(() => {
    if (!notice) return;
    const timer = window.setTimeout(
      () => dismiss(notice.id),
      notice.tone === 'error' ? 9000 : 5000,
    );
    return () => window.clearTimeout(timer);
  }, [notice, dismiss]);
  return (
    <div className="notice-region" role="status" aria-live="polite">
      {notice ? (
        <div className={`notice notice--${notice.tone}`} key={notice.id}>
          <p>{notice.message}</p>
          <button
            type="button"
            className="icon-button"
            aria-label="Dismiss message"
            onClick={() => dismiss(notice.id)}
          >
            ×
          </button>
        </div>
      ) : null}
    </div>
  );
}
