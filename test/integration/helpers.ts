import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { OrchestraApi } from '../../src/extension/api';
import { EXTENSION_ID } from '../../src/extension/constants';

export interface ManifestCommand {
  command: string;
  title: string;
}

export interface Manifest {
  contributes: {
    commands: ManifestCommand[];
    views: Record<string, { id: string }[]>;
    configuration: {
      properties: Record<string, { default?: unknown; description?: string; markdownDescription?: string }>;
    };
  };
  activationEvents: string[];
}

export function extension(): vscode.Extension<OrchestraApi> {
  const ext = vscode.extensions.getExtension<OrchestraApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

export function manifest(): Manifest {
  return extension().packageJSON as Manifest;
}

/** Activates the extension (once) and returns its test API. */
export async function activated(): Promise<OrchestraApi> {
  const api = await extension().activate();
  assert.ok(api, 'activate() returned no API');
  return api;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
