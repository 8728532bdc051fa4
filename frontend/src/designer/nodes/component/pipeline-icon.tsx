/** The mark of a pipeline component: three linked steps (a command component is a cube). */
export function PipelineIcon({ size = 14 }: { size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2.2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <rect x="2.5" y="3" width="7" height="6" rx="1.5" />
      <rect x="14.5" y="3" width="7" height="6" rx="1.5" />
      <rect x="8.5" y="15" width="7" height="6" rx="1.5" />
      <path d="M9.5 6h5M6 9v3.5a2 2 0 0 0 2 2h.5M18 9v3.5a2 2 0 0 1-2 2h-.5" />
    </svg>
  );
}
