import { useId, useState } from 'react';

/**
 * The part of JSON Schema the plugins' configuration schemas use (produced from their zod schemas
 * by the API): objects of strings, numbers, booleans, enums, string lists, nested objects, each
 * possibly nullable and with a default.
 */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
}

export type ConfigValue = Record<string, unknown>;

interface Shape {
  kind: 'string' | 'number' | 'boolean' | 'enum' | 'list' | 'multi' | 'object' | 'json';
  nullable: boolean;
  schema: JsonSchema;
}

/** What a property is, nullability unwrapped (`anyOf: [X, null]` or `type: [X, 'null']`). */
export function shapeOf(schema: JsonSchema): Shape {
  let nullable = false;
  let inner = schema;
  if (schema.anyOf) {
    const others = schema.anyOf.filter((option) => option.type !== 'null');
    nullable = others.length < schema.anyOf.length;
    if (others.length === 1) inner = { ...others[0], default: schema.default ?? others[0].default, description: schema.description ?? others[0].description };
    else return { kind: 'json', nullable, schema };
  }
  let type = inner.type;
  if (Array.isArray(type)) {
    nullable = nullable || type.includes('null');
    type = type.find((t) => t !== 'null');
  }
  if (inner.enum) return { kind: 'enum', nullable, schema: inner };
  if (type === 'string') return { kind: 'string', nullable, schema: inner };
  if (type === 'integer' || type === 'number') return { kind: 'number', nullable, schema: inner };
  if (type === 'boolean') return { kind: 'boolean', nullable, schema: inner };
  if (type === 'object' && inner.properties) return { kind: 'object', nullable, schema: inner };
  if (type === 'array' && inner.items && shapeOf(inner.items).kind === 'string') return { kind: 'list', nullable, schema: inner };
  if (type === 'array' && inner.items?.enum) return { kind: 'multi', nullable, schema: inner };
  return { kind: 'json', nullable, schema: inner };
}

const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

interface FormProps {
  schema: JsonSchema;
  value: ConfigValue;
  onChange(value: ConfigValue): void;
  secretFields: readonly string[];
  /** Secrets that hold a value on the saved target: left blank, they keep it. */
  secretsSet: readonly string[];
  /** Editing a saved target: blank nullable fields mean null, not "leave out". */
  editing: boolean;
  path?: string;
}

/** A form generated from a plugin's configuration schema; secrets are write-only password fields. */
export function ConfigForm({ schema, value, onChange, secretFields, secretsSet, editing, path = '' }: FormProps) {
  const required = new Set(schema.required ?? []);
  return (
    <div className="config-fields">
      {Object.entries(schema.properties ?? {}).map(([key, property]) => {
        const shape = shapeOf(property);
        const fieldPath = path ? `${path}.${key}` : key;
        const set = (next: unknown) => {
          const copy = { ...value };
          if (next === undefined) delete copy[key];
          else copy[key] = next;
          onChange(copy);
        };
        if (shape.kind === 'object') {
          return (
            <fieldset key={key}>
              <legend>{words(key)}</legend>
              <ConfigForm
                schema={shape.schema}
                value={(value[key] as ConfigValue | undefined) ?? {}}
                onChange={(next) => set(Object.keys(next).length ? next : undefined)}
                secretFields={[]}
                secretsSet={[]}
                editing={editing}
                path={fieldPath}
              />
            </fieldset>
          );
        }
        return (
          <Field
            key={key}
            name={fieldPath}
            label={words(key)}
            shape={shape}
            required={required.has(key) && shape.schema.default === undefined}
            secret={secretFields.includes(key)}
            secretSet={secretsSet.includes(key)}
            editing={editing}
            value={value[key]}
            onChange={set}
          />
        );
      })}
    </div>
  );
}

interface FieldProps {
  name: string;
  label: string;
  shape: Shape;
  required: boolean;
  secret: boolean;
  secretSet: boolean;
  editing: boolean;
  value: unknown;
  onChange(value: unknown): void;
}

function Field({ name, label, shape, required, secret, secretSet, editing, value, onChange }: FieldProps) {
  const id = useId();
  const fallback = shape.schema.default;
  const hint = shape.schema.description;
  const blank = (text: string) => (text === '' ? (editing && shape.nullable ? null : undefined) : text);
  let control;
  switch (shape.kind) {
    case 'boolean':
      control = <input id={id} name={name} type="checkbox" checked={Boolean(value ?? fallback ?? false)} onChange={(event) => onChange(event.target.checked)} />;
      break;
    case 'enum':
      control = (
        <select id={id} name={name} value={value === undefined || value === null ? '' : String(value)} onChange={(event) => onChange(blank(event.target.value))}>
          {fallback === undefined || shape.nullable ? <option value="">{fallback !== undefined ? `default (${String(fallback)})` : '—'}</option> : null}
          {(shape.schema.enum ?? []).map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </select>
      );
      break;
    case 'number':
      control = (
        <input
          id={id}
          name={name}
          type="number"
          min={shape.schema.minimum}
          max={shape.schema.maximum}
          required={required}
          placeholder={fallback === undefined || fallback === null ? '' : String(fallback)}
          value={typeof value === 'number' ? value : ''}
          onChange={(event) => onChange(event.target.value === '' ? blank('') : Number(event.target.value))}
        />
      );
      break;
    case 'multi': {
      const chosen = new Set((Array.isArray(value) ? value : Array.isArray(fallback) ? fallback : []).map(String));
      return (
        <fieldset className="field multi">
          <legend>{label}</legend>
          {(shape.schema.items?.enum ?? []).map((option) => (
            <label key={String(option)}>
              <input
                type="checkbox"
                name={name}
                value={String(option)}
                checked={chosen.has(String(option))}
                onChange={(event) => {
                  const next = new Set(chosen);
                  if (event.target.checked) next.add(String(option));
                  else next.delete(String(option));
                  onChange([...next]);
                }}
              />{' '}
              {String(option)}
            </label>
          ))}
        </fieldset>
      );
    }
    case 'list':
      control = (
        <textarea
          id={id}
          name={name}
          rows={3}
          placeholder={Array.isArray(fallback) ? fallback.join('\n') : ''}
          value={Array.isArray(value) ? value.join('\n') : ''}
          onChange={(event) => {
            const lines = event.target.value.split('\n');
            onChange(event.target.value === '' ? undefined : lines);
          }}
          aria-describedby={`${id}-list`}
        />
      );
      break;
    case 'json':
      control = <JsonField id={id} name={name} value={value} onChange={onChange} />;
      break;
    default:
      control = secret ? (
        <input
          id={id}
          name={name}
          type="password"
          autoComplete="new-password"
          required={required && !secretSet}
          placeholder={secretSet ? 'set (leave blank to keep)' : ''}
          value={typeof value === 'string' ? value : ''}
          onChange={(event) => onChange(event.target.value === '' ? undefined : event.target.value)}
        />
      ) : (
        <input
          id={id}
          name={name}
          type="text"
          spellCheck={false}
          required={required}
          placeholder={fallback === undefined || fallback === null ? '' : String(fallback)}
          value={typeof value === 'string' ? value : ''}
          onChange={(event) => onChange(blank(event.target.value))}
        />
      );
  }
  return (
    <div className={`field ${shape.kind}`}>
      <label htmlFor={id}>
        {label}
        {required && !(secret && secretSet) ? <span aria-hidden="true"> *</span> : null}
        {secret ? <span className="muted"> (write-only)</span> : null}
      </label>
      {control}
      {shape.kind === 'list' ? (
        <small id={`${id}-list`} className="muted">
          One per line.
        </small>
      ) : null}
      {hint ? <small className="muted">{hint}</small> : null}
    </div>
  );
}

/**
 * A value the form has no control for (e.g. a map of headers), as JSON text. The text is the
 * field's own state, so what is typed stays while it is not yet valid JSON; each valid text sets
 * the value, an empty one leaves it out.
 */
function JsonField({ id, name, value, onChange }: { id: string; name: string; value: unknown; onChange(value: unknown): void }) {
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value)));
  const [invalid, setInvalid] = useState(false);
  return (
    <textarea
      id={id}
      name={name}
      rows={3}
      className="json"
      value={text}
      aria-invalid={invalid}
      onChange={(event) => {
        setText(event.target.value);
        try {
          onChange(event.target.value === '' ? undefined : JSON.parse(event.target.value));
          setInvalid(false);
        } catch {
          setInvalid(true);
        }
      }}
    />
  );
}

/** The configuration to send: list entries trimmed, blank lines dropped. */
export function cleanConfig(value: ConfigValue): ConfigValue {
  const out: ConfigValue = {};
  for (const [key, entry] of Object.entries(value)) {
    if (Array.isArray(entry) && entry.every((item) => typeof item === 'string')) out[key] = entry.map((item) => item.trim()).filter(Boolean);
    else if (entry && typeof entry === 'object' && !Array.isArray(entry)) out[key] = cleanConfig(entry as ConfigValue);
    else out[key] = entry;
  }
  return out;
}
