// Loading the OpenAPI documents and reading their operations, error codes and schemas.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { parse } from 'yaml';
import { REPOSITORY } from '../support/system.js';

/** An OpenAPI document as plain data. */
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

/** One documented operation after dereferencing. */
export interface DocumentedOperation {
  readonly path: string;
  readonly method: string;
  readonly responses: Record<string, { content?: Record<string, { schema?: unknown }>; 'x-error-codes'?: string[] }>;
}

/** The path of a document in docs/openapi/. */
export function documentPath(name: 'qsen' | 'kan' | 'senebi'): string {
  return join(REPOSITORY, 'docs', 'openapi', `${name}.yaml`);
}

/** Parses a document (YAML) without resolving anything. */
export function readDocument(name: 'qsen' | 'kan' | 'senebi'): OpenApiDocument {
  return parse(readFileSync(documentPath(name), 'utf8'), { merge: true }) as OpenApiDocument;
}

/** The document with every $ref resolved. */
export async function dereferenceDocument(name: 'qsen' | 'kan' | 'senebi'): Promise<OpenApiDocument> {
  return (await SwaggerParser.dereference(readDocument(name) as never)) as unknown as OpenApiDocument;
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'head', 'options'];

/** Every operation of a dereferenced document. */
export function listOperations(doc: OpenApiDocument): DocumentedOperation[] {
  const out: DocumentedOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method] as { responses?: DocumentedOperation['responses'] } | undefined;
      if (op) out.push({ path, method: method.toUpperCase(), responses: op.responses ?? {} });
    }
  }
  return out;
}
