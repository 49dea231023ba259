import type { InputHTMLAttributes } from 'react';

/** A labelled text input: its label is its accessible name. */
export function Field({ label, value, onChange, ...rest }: { label: string; value: string; onChange(v: string): void } & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  return (
    <label>
      {label}
      <input {...rest} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** Empty text → null, for optional arguments. */
export const orNull = (v: string): string | null => (v.trim() === '' ? null : v.trim());

/** A list typed as "a, b c" → ["a", "b", "c"]. */
export const listOf = (v: string): string[] =>
  v
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** A datetime-local value (the browser's local time) → an ISO instant, or null when empty. */
export const instantOf = (v: string): string | null => (v ? new Date(v).toISOString() : null);

/** An ISO instant shown in the browser's locale, with its zone. */
export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '');
