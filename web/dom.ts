// Tiny DOM helpers: build elements without a framework.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') node.className = String(value);
    else node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node as T;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100 || Number.isInteger(value)) return value.toFixed(0);
  return value.toFixed(abs >= 1 ? 1 : 3);
}

export function formatBytes(perSecond: number | undefined): string {
  if (perSecond === undefined) return '–';
  if (perSecond >= 1 << 20) return `${(perSecond / (1 << 20)).toFixed(1)} MiB/s`;
  if (perSecond >= 1 << 10) return `${(perSecond / (1 << 10)).toFixed(1)} KiB/s`;
  return `${perSecond.toFixed(0)} B/s`;
}
