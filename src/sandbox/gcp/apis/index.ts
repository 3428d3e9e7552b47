/** Every API the emulator speaks, in one table. */
import type { Route, View } from '../router';
import { aiplatformRoutes } from './aiplatform';
import { alloydbRoutes, alloydbViews } from './alloydb';
import { artifactRegistryRoutes, artifactRegistryViews } from './artifactregistry';
import { cloudBuildRoutes, cloudBuildViews } from './cloudbuild';
import { firestoreRoutes, firestoreViews } from './firestore';
import { iamRoutes } from './iam';
import { operationRoutes } from './operations';
import { resourceManagerRoutes } from './resourcemanager';
import { runRoutes, runViews } from './run';
import { runKnativeRoutes } from './run-knative';
import { secretManagerRoutes } from './secretmanager';
import { serviceUsageRoutes } from './serviceusage';
import { storageRoutes } from './storage';
import { storageObjectRoutes } from './storage-objects';
import { workstationsRoutes, workstationsViews } from './workstations';

export function allRoutes(): Route[] {
  return [
    ...serviceUsageRoutes(),
    ...iamRoutes(),
    ...resourceManagerRoutes(),
    ...artifactRegistryRoutes(),
    ...storageRoutes(),
    ...storageObjectRoutes(),
    ...cloudBuildRoutes(),
    ...workstationsRoutes(),
    ...firestoreRoutes(),
    ...secretManagerRoutes(),
    ...runRoutes(),
    ...runKnativeRoutes(),
    ...alloydbRoutes(),
    ...aiplatformRoutes(),
    ...operationRoutes(),
  ];
}

export function allViews(): Record<string, View> {
  return {
    ...artifactRegistryViews,
    ...runViews,
    ...workstationsViews,
    ...firestoreViews,
    ...alloydbViews,
    ...cloudBuildViews,
  } as Record<string, View>;
}
