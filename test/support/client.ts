import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLFormattedError[];
  status: number;
}

/** Sends the generated client's typed documents to a Ferry server over HTTP. */
export class GraphQLTestClient {
  constructor(
    readonly url: string,
    readonly token: string | null,
  ) {}

  async request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<GraphQLResponse<TResult>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify({ query: print(document), variables: variables ?? {} }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<TResult>, 'status'>;
    return { ...body, status: response.status };
  }

  /** Runs the operation and fails the test on any error; returns `data`. */
  async ok<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<TResult> {
    const result = await this.request(document, variables);
    assert.equal(result.errors, undefined, `unexpected GraphQL errors: ${JSON.stringify(result.errors)}`);
    assert.ok(result.data, 'no data in the response');
    return result.data;
  }

  /** Runs the operation, asserts it failed with `code`, and returns the first error. */
  async fails<TResult, TVariables>(
    code: string,
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<GraphQLFormattedError> {
    const result = await this.request(document, variables);
    assert.ok(result.errors?.length, `expected a ${code} error, got data ${JSON.stringify(result.data)}`);
    assert.equal(result.errors[0].extensions?.code, code, `expected ${code}, got ${JSON.stringify(result.errors)}`);
    assert.ok(result.errors[0].message.length > 10, 'the error message should explain the problem');
    return result.errors[0];
  }
}
