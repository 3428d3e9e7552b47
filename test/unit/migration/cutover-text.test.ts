/**
 * The cutover and rollback plans as the terminal and the editor's confirmation show them:
 * each switched setting once, its files named once, what they held before after it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { CutoverPlan } from '../../../src/core/migration/cutover';
import type { RollbackPlan } from '../../../src/core/migration/cutover-rollback';
import { formatCutoverPlan, formatRollbackPlan } from '../../../src/core/migration/cutover-text';
import type { CutoverRecord } from '../../../src/core/migration/state';

const CLOUD = 'https://memory.example.run.app';
const API = 'https://api.example.run.app';
const LOCAL = 'http://127.0.0.1:8765';
const ENVS = ['local', 'codespaces', 'workstation', 'cloudrun'];
const SWITCHES = [
  { file: 'config/common.json', setting: 'memory.source.endpoint', to: LOCAL },
  ...ENVS.flatMap((env) => [
    { file: `config/${env}.json`, setting: 'memory.endpoint', to: CLOUD, ...(env === 'local' ? { from: LOCAL } : {}) },
    { file: `config/${env}.json`, setting: 'endpoints.api', to: API },
  ]),
];

const plan = {
  projectId: 'p',
  state: 'ready',
  source: { endpoint: LOCAL, readOnly: 'supported', note: 'made read-only first' },
  target: { endpoint: CLOUD },
  switches: SWITCHES,
  overrides: [],
  notes: [],
} satisfies CutoverPlan;

describe('cutover and rollback plans as text', () => {
  it('one line per setting: the new value, the files once, and what any file held before', () => {
    const lines = formatCutoverPlan(plan).split('\n');
    const switchLines = lines.filter((l) => l.includes(' -> '));
    assert.deepEqual(switchLines, [
      `       memory.source.endpoint -> ${LOCAL} in config/common.json (was unset)`,
      `       memory.endpoint -> ${CLOUD} in config/: local.json, codespaces.json, workstation.json, cloudrun.json (was unset; config/local.json: ${LOCAL})`,
      `       endpoints.api -> ${API} in config/: local.json, codespaces.json, workstation.json, cloudrun.json (was unset)`,
    ]);
    // Nine settings in five files fit in a confirmation a person reads at once.
    assert.ok(lines.length <= 10, `${lines.length} lines:\n${lines.join('\n')}`);
  });

  it('files in different folders are each named whole', () => {
    const text = formatCutoverPlan({
      ...plan,
      switches: [
        { file: 'config/local.json', setting: 'endpoints.api', to: API },
        { file: 'other/local.json', setting: 'endpoints.api', to: API },
      ],
    });
    assert.match(text, /endpoints\.api -> \S+ in config\/local\.json, other\/local\.json \(was unset\)/);
  });

  it('a rollback says which settings are removed and which get their old value back', () => {
    const cutover = {
      status: 'done',
      stage: 'switched',
      startedAt: '2026-12-07T15:00:00.000Z',
      source: { endpoint: LOCAL, readOnlySupported: true, readOnly: false },
      target: { endpoint: CLOUD },
      switched: SWITCHES,
    } satisfies CutoverRecord;
    const rollback = {
      projectId: 'p',
      cutover,
      restores: SWITCHES.map((s) => ({
        file: s.file,
        setting: s.setting,
        from: s.to,
        ...('from' in s ? { to: s.from } : {}),
      })),
      copyBack: true,
      sourceWritable: false,
      secret: false,
      notes: [],
    } satisfies RollbackPlan;
    const lines = formatRollbackPlan(rollback).split('\n');
    assert.deepEqual(lines.slice(2), [
      '  3. Endpoints restored to what they were before the cutover:',
      `       memory.source.endpoint removed from config/common.json (was ${LOCAL})`,
      `       memory.endpoint -> ${LOCAL} in config/local.json (was ${CLOUD})`,
      `       endpoints.api removed from config/: local.json, codespaces.json, workstation.json, cloudrun.json (was ${API})`,
      `       memory.endpoint removed from config/: codespaces.json, workstation.json, cloudrun.json (was ${CLOUD})`,
    ]);
  });
});
