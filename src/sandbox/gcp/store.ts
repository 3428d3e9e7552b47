/**
 * The emulator's state: projects, resources and operations, in one JSON file in
 * the data folder. Every mutating request ends with an atomic write (temp file +
 * rename), so a crash never leaves a half-written file and a restart sees it all.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../../core/util/atomic-write';
import { unknownProject } from './faults';

export interface Binding {
  role: string;
  members: string[];
  condition?: { title?: string; description?: string; expression: string };
}

export interface Policy {
  version: number;
  etag: string;
  bindings: Binding[];
}

export interface ProjectState {
  projectId: string;
  number: string;
  createTime: string;
  /** service name -> ENABLED; absent means DISABLED. */
  services: Record<string, 'ENABLED'>;
  policy: Policy;
}

export interface ResourceEntry {
  kind: string;
  /** The stored body, as the API returns it (computed fields are added by the view). */
  body: Record<string, unknown>;
  /** Epoch ms when a pending create/update finishes reconciling. */
  readyAt?: number;
  /** Content of a Storage object, base64. */
  data?: string;
  /** The error its create/update operation failed with: the resource shows Google's failed state. */
  failure?: { code: number; message: string };
}

export interface OperationEntry {
  name: string;
  api: string;
  createdAt: number;
  readyAt: number;
  metadata?: Record<string, unknown>;
  /** The response is the view of this resource at completion (or `response` as is). */
  responseRef?: string;
  responseType?: string;
  response?: Record<string, unknown>;
  error?: { code: number; message: string; details?: unknown[] };
}

export interface StateFile {
  version: 1;
  projects: Record<string, ProjectState>;
  resources: Record<string, ResourceEntry>;
  operations: Record<string, OperationEntry>;
  /** sha256 of each access token the emulator issued -> its expiry (epoch ms). */
  tokens?: Record<string, number>;
  /** HMAC key of the ID tokens it issues (Cloud Run private URLs check them). */
  idTokenKey?: string;
}

/**
 * Services a project created with the console or gcloud has enabled, as Google lists them
 * ("Services enabled by default", Service Usage docs), so `gcloud services list --enabled`
 * reads the same on a new emulated project. Cloud Resource Manager is not on Google's list:
 * it is listed here because the emulator answers its calls without enablement (server.ts).
 * Of the APIs the migration needs, only Cloud Storage and Service Usage are on the list.
 */
export const DEFAULT_ENABLED_SERVICES = [
  'analyticshub.googleapis.com',
  'bigquery.googleapis.com',
  'bigqueryconnection.googleapis.com',
  'bigquerydatapolicy.googleapis.com',
  'bigquerydatatransfer.googleapis.com',
  'bigquerymigration.googleapis.com',
  'bigqueryreservation.googleapis.com',
  'bigquerystorage.googleapis.com',
  'cloudapis.googleapis.com',
  'cloudtrace.googleapis.com',
  'dataform.googleapis.com',
  'dataplex.googleapis.com',
  'datastore.googleapis.com',
  'logging.googleapis.com',
  'monitoring.googleapis.com',
  'servicemanagement.googleapis.com',
  'serviceusage.googleapis.com',
  'sql-component.googleapis.com',
  'storage-api.googleapis.com',
  'storage-component.googleapis.com',
  'storage.googleapis.com',
  'cloudresourcemanager.googleapis.com',
];

export const SANDBOX_OWNER = 'user:sandbox-owner@example.com';

function emptyState(): StateFile {
  return { version: 1, projects: {}, resources: {}, operations: {} };
}

export function newEtag(): string {
  return randomBytes(8).toString('base64');
}

/** A stable 12-digit project number per project ID, like Google's. */
export function projectNumberOf(projectId: string): string {
  const digits = BigInt('0x' + createHash('sha256').update(projectId).digest('hex').slice(0, 15)) % 10n ** 11n;
  return `1${digits.toString().padStart(11, '0')}`;
}

export class Store {
  state: StateFile;
  private dirty = false;
  private readonly file?: string;

  constructor(
    dataDir: string | undefined,
    private readonly enabledByDefault: string[],
  ) {
    this.file = dataDir ? path.join(dataDir, 'gcp-emulator.json') : undefined;
    this.state = this.load();
  }

  private load(): StateFile {
    if (!this.file || !fs.existsSync(this.file)) return emptyState();
    const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as StateFile;
    return parsed.version === 1 ? parsed : emptyState();
  }

  /** A project the emulator was told about (by ID or number); any other is refused as Google does. */
  project(idOrNumber: string): ProjectState {
    const found = this.findProject(idOrNumber);
    if (!found) throw unknownProject(idOrNumber);
    return found;
  }

  findProject(idOrNumber: string): ProjectState | undefined {
    if (/^\d+$/.test(idOrNumber)) return Object.values(this.state.projects).find((p) => p.number === idOrNumber);
    return this.state.projects[idOrNumber];
  }

  /** Creates the project (as the console or `gcloud projects create` would); an existing one is kept. */
  addProject(idOrNumber: string): ProjectState {
    let project = this.findProject(idOrNumber);
    if (!project) {
      project = {
        projectId: idOrNumber,
        number: projectNumberOf(idOrNumber),
        createTime: new Date().toISOString(),
        services: Object.fromEntries(this.enabledByDefault.map((s) => [s, 'ENABLED' as const])),
        policy: { version: 1, etag: newEtag(), bindings: [{ role: 'roles/owner', members: [SANDBOX_OWNER] }] },
      };
      this.state.projects[idOrNumber] = project;
      this.touch();
    }
    return project;
  }

  get(name: string): ResourceEntry | undefined {
    return this.state.resources[name];
  }

  put(name: string, entry: ResourceEntry): void {
    this.state.resources[name] = entry;
    this.touch();
  }

  delete(name: string): void {
    delete this.state.resources[name];
    this.touch();
  }

  /** Entries of one kind whose name starts with `prefix`, in creation order. */
  list(kind: string, prefix: string): Array<[string, ResourceEntry]> {
    // 'locations/-' is every location, as Google's list methods take it.
    const matches = prefix.includes('/locations/-/')
      ? (name: string) => {
          const [head, tail] = prefix.split('/locations/-/');
          const rest = name.startsWith(`${head}/locations/`) ? name.slice(head.length + 11) : undefined;
          return rest !== undefined && rest.slice(rest.indexOf('/') + 1).startsWith(tail);
        }
      : (name: string) => name.startsWith(prefix);
    return Object.entries(this.state.resources).filter(([name, e]) => e.kind === kind && matches(name));
  }

  addOperation(op: Omit<OperationEntry, 'createdAt'>): OperationEntry {
    const entry = { ...op, createdAt: Date.now() };
    this.state.operations[op.name] = entry;
    this.touch();
    return entry;
  }

  operation(name: string): OperationEntry | undefined {
    return this.state.operations[name];
  }

  touch(): void {
    this.dirty = true;
  }

  /** Wipes projects, resources and operations; issued tokens stay valid, as a login outlives a project. */
  reset(): void {
    const { tokens, idTokenKey } = this.state;
    this.state = { ...emptyState(), ...(tokens ? { tokens } : {}), ...(idTokenKey ? { idTokenKey } : {}) };
    this.touch();
    this.flush();
  }

  /** Atomic write: a reader (or a crash) sees the old file or the new one, never half of one. */
  flush(): void {
    if (!this.dirty || !this.file) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    // Flushed after every request: atomic for readers, without an fsync per request.
    writeFileAtomicSync(this.file, JSON.stringify(this.state), { durable: false });
    this.dirty = false;
  }
}
