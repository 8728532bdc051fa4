import { useEffect, useState } from 'react';

/** Copies text to the clipboard (with a fallback for pages served over plain http). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.readOnly = true;
  area.style.position = 'fixed';
  area.style.left = '-9999px';
  document.body.appendChild(area);
  area.select();
  try {
    document.execCommand('copy');
  } finally {
    area.remove();
  }
}

interface CopyButtonProps {
  /** The text to copy, or a selector of the input or element whose value or text it is. */
  text?: () => string;
  target?: string;
  className?: string;
  label?: string;
}

/** A "Copy" button that says "Copied" for a moment. */
export function CopyButton({
  text,
  target,
  className = 'button',
  label = 'Copy',
}: CopyButtonProps) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);

  const onClick = () => {
    let value = text?.() ?? '';
    if (target) {
      const element = document.querySelector<HTMLElement>(target);
      if (!element) return;
      if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) {
        value = element.value;
        element.select();
      } else value = element.textContent ?? '';
    }
    copyText(value).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };

  return (
    <button type="button" className={className} data-copy={target} onClick={onClick}>
      {copied ? 'Copied' : label}
    </button>
  );
}
