/**
 * The inner graph of the pipeline component opened, over the canvas: read-only, with a breadcrumb
 * (Pipeline › outer › inner) and a way back. The draft's canvas stays mounted underneath, unchanged.
 */
import {
  Background,
  BackgroundVariant,
  Controls,
  ReactFlow,
  ReactFlowProvider,
} from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';
import { splitReference } from '../../lib/draft-graph';
import { getComponentGraph, type ComponentGraphRecord } from '../api';
import { useCatalogStore } from '../catalog-store';
import { useBrowseStore, useTrail, type TrailStep } from './browse-store';
import { innerNodeTypes } from './cards';
import './component-graph.css';
import { toFlow } from './to-flow';

type Loaded = { ref: string; graph: ComponentGraphRecord } | { ref: string; error: string };

export function ComponentGraphViewer() {
  const trail = useTrail();
  const goTo = useBrowseStore((s) => s.goTo);
  const current = trail[trail.length - 1];
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === 'Escape') goTo(trail.length - 2);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [goTo, trail.length]);
  if (!current) return null;
  return (
    <div className="inner-graph" role="region" aria-label={`Inside ${current.label}`}>
      <Breadcrumb trail={trail} onGoTo={goTo} />
      <ReactFlowProvider>
        <InnerCanvas key={`${trail.length}:${current.ref}`} step={current} />
      </ReactFlowProvider>
    </div>
  );
}

function Breadcrumb({ trail, onGoTo }: { trail: TrailStep[]; onGoTo: (index: number) => void }) {
  return (
    <div className="inner-graph__bar">
      <button
        type="button"
        className="button button--small"
        onClick={() => onGoTo(trail.length - 2)}
      >
        ← Back
      </button>
      <nav aria-label="Breadcrumb">
        <ol className="inner-graph__crumbs">
          <li>
            <button type="button" className="link-button" onClick={() => onGoTo(-1)}>
              Pipeline
            </button>
          </li>
          {trail.map((step, i) =>
            i === trail.length - 1 ? (
              <li key={i} aria-current="page">
                <strong>{step.label}</strong>
              </li>
            ) : (
              <li key={i}>
                <button type="button" className="link-button" onClick={() => onGoTo(i)}>
                  {step.label}
                </button>
              </li>
            ),
          )}
        </ol>
      </nav>
      <span className="inner-graph__note">Read-only · {trail[trail.length - 1]?.ref}</span>
    </div>
  );
}

function InnerCanvas({ step }: { step: TrailStep }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const components = useCatalogStore((s) => s.components);
  useEffect(() => {
    let live = true;
    const { name, version } = splitReference(step.ref);
    getComponentGraph(name, version)
      .then((graph) => live && setLoaded({ ref: step.ref, graph }))
      .catch(
        (error: unknown) =>
          live &&
          setLoaded({
            ref: step.ref,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    return () => {
      live = false;
    };
  }, [step.ref]);
  const flow = useMemo(
    () => (loaded && 'graph' in loaded ? toFlow(loaded.graph, (ref) => components[ref]) : null),
    [loaded, components],
  );
  if (!loaded) {
    return (
      <div className="designer-canvas__overlay" role="status">
        Loading {step.label}…
      </div>
    );
  }
  if ('error' in loaded) {
    return (
      <div className="designer-canvas__overlay designer-canvas__overlay--error" role="alert">
        <strong>The inside of {step.ref} could not be loaded.</strong>
        <span>{loaded.error}</span>
      </div>
    );
  }
  return (
    <div className="inner-graph__canvas" data-testid="inner-graph-canvas">
      <ReactFlow
        nodes={flow?.nodes ?? []}
        edges={flow?.edges ?? []}
        nodeTypes={innerNodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        // Selectable, or React Flow gives the cards no pointer events (no double-click, no Open).
        elementsSelectable
        deleteKeyCode={null}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        minZoom={0.1}
        maxZoom={2}
        aria-label={`Inner graph of ${step.label}`}
      >
        <Background variant={BackgroundVariant.Dots} gap={16} size={1.2} color="#c9cee0" />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
