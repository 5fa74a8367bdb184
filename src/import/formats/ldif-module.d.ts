// Types for the two untyped libraries the LDIF import uses, limited to what src/import/formats/ldif.ts calls.

/** tapmodo's RFC 2849 parser (a peg.js grammar), v0.5.x. */
declare module 'ldif' {
  export interface LdifAttribute {
    /** The attribute type as written (`cn`, `objectClass`, an OID). */
    attribute: string;
    /** Attribute options (`lang-fr` of `cn;lang-fr`). */
    options: string[];
  }

  /**
   * A value: `value` holds the text (a `::` value already decoded from base64, as UTF-8 with
   * invalid bytes replaced); `file` holds the URL of a `:<` value. Never call the library's
   * `getValue()` on a `file` value: it reads the file.
   */
  export interface LdifValue {
    type: 'value' | 'file';
    value: string;
  }

  export interface LdifAttributeValue {
    attribute: LdifAttribute;
    /** Null for an empty value written `name:` (content records cannot hold it: the library throws). */
    value: LdifValue | null;
  }

  /** A content record (no changetype). */
  export interface LdifRecord {
    type: 'record';
    dn: string;
    attributes: LdifAttributeValue[];
  }

  /** A `changetype: add` record: its attributes as a content record's. */
  export interface LdifAdd {
    type: 'add';
    dn: string;
    changes: LdifAttributeValue[];
  }

  /** Another change record (modify, delete, modrdn/moddn). */
  export interface LdifOtherChange {
    type: 'delete' | 'modify' | 'modrdn' | 'moddn';
    dn: string;
  }

  export interface LdifContainer {
    /** `changes` when every record has a changetype, `content` when none has (a mix does not parse). */
    type: 'content' | 'changes';
    version: number | null;
    entries: (LdifRecord | LdifAdd | LdifOtherChange)[];
  }

  /** What `parse` throws for text that is not LDIF (a peg.js SyntaxError). */
  export interface LdifSyntaxError extends Error {
    location?: { start: { offset: number; line: number; column: number } };
  }

  /** Parses a whole LDIF text; throws at the first syntax error. */
  export function parse(input: string): LdifContainer;
}

/** RFC 4514 distinguished names (ldapjs), v1.x. */
declare module '@ldapjs/dn' {
  export class RDN {
    /** The attribute types as written. */
    keys(): IterableIterator<string>;
    /** The value unescaped: a string, or a BER reader for a `#`-hex value. */
    getValue(name: string): unknown;
    toString(): string;
  }

  export class DN {
    /** Throws when the text is not a DN. */
    static fromString(dn: string): DN;
    readonly length: number;
    rdnAt(index: number): RDN;
    toString(): string;
  }
}
