import { CopyButton } from './copy-button';
import type { Snippets } from './snippets';

/** "Call it from code": curl and Python with the values of "Try it", the key left out. */
export function CodeSnippets({ snippets, openapiUrl }: { snippets: Snippets; openapiUrl: string }) {
  return (
    <section className="panel" aria-labelledby="code-title">
      <header className="panel-head">
        <h2 id="code-title">Call it from code</h2>
        <span className="muted small">
          replace <code>&lt;YOUR-KEY&gt;</code> with a key
        </span>
      </header>
      {(['curl', 'python'] as const).map((language) => (
        <div className="snippet" key={language}>
          <div className="snippet-head">
            <h3 id={`${language}-title`}>{language === 'curl' ? 'curl' : 'Python (requests)'}</h3>
            <CopyButton className="button button--small" text={() => snippets[language]} />
          </div>
          <pre className="code-block" aria-labelledby={`${language}-title`}>
            <code id={`snippet-${language}`} data-snippet={language}>
              {snippets[language]}
            </code>
          </pre>
        </div>
      ))}
      <p className="muted small">
        The run&apos;s status: <code>GET</code> the <code>StatusUrl</code> of the answer with the
        same key. Send an <code>Idempotency-Key</code> header to make retries safe. Typed clients
        can be generated from the <a href={openapiUrl}>OpenAPI document</a>.
      </p>
    </section>
  );
}
