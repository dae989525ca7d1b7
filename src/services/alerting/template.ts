// Annotation templates: `{{ $value }}` (the evaluated value, 4 significant digits) and `{{ $labels.<name> }}`
// (an alert label; empty when the alert has no such label). Anything else in `{{ }}` is refused at load.

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const LABEL = /^\$labels\.([A-Za-z_][A-Za-z0-9_.]*)$/;

/** The first placeholder that is neither `$value` nor `$labels.<name>`, or undefined when all are fine. */
export function badPlaceholder(template: string): string | undefined {
  for (const [, inner] of template.matchAll(PLACEHOLDER)) {
    if (inner !== '$value' && !LABEL.test(inner)) return `{{ ${inner} }}`;
  }
  return undefined;
}

export function formatValue(value: number | undefined): string {
  if (value === undefined) return '';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

export function render(template: string, value: number | undefined, labels: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_all, inner: string) => {
    if (inner === '$value') return formatValue(value);
    const label = LABEL.exec(inner);
    return label === null ? '' : (labels[label[1]] ?? '');
  });
}

export function renderAll(
  templates: Record<string, string>,
  value: number | undefined,
  labels: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(templates).map(([k, t]) => [k, render(t, value, labels)]));
}
