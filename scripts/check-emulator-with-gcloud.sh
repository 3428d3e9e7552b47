#!/usr/bin/env bash
# Points the real gcloud CLI at the local Google Cloud emulator and reads back
# every kind of resource the migration creates. A parse error or a non-zero exit
# from gcloud means the emulator's shapes drifted from Google's.
# Usage: bash scripts/check-emulator-with-gcloud.sh   (needs gcloud on PATH; not part of npm test)
set -u
cd "$(dirname "$0")/.."
command -v gcloud >/dev/null || { echo "gcloud not installed: skipped"; exit 0; }
DATA=$(mktemp -d)
OUT=$(mktemp)
node_modules/.bin/tsx src/cli/main.ts sandbox --port 0 --json --data "$DATA" --lro-delay-ms 0 >"$OUT" 2>"$DATA/stderr" &
PID=$!
cleanup() { kill -INT "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$DATA" "$OUT"; }
trap cleanup EXIT
for _ in $(seq 1 100); do [ -s "$OUT" ] && break; sleep 0.1; done
URL=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).gcp)' "$OUT")
echo "emulator at $URL"
P=gcloud-check
H=(-s -H 'authorization: Bearer x' -H 'content-type: application/json')
post() { curl "${H[@]}" -X POST "$URL$1" -d "$2" >/dev/null; }
post "/v1/projects/$P/services:batchEnable" '{"serviceIds":["iam.googleapis.com","artifactregistry.googleapis.com","workstations.googleapis.com","firestore.googleapis.com","secretmanager.googleapis.com","run.googleapis.com"]}'
post "/v1/projects/$P/serviceAccounts" '{"accountId":"orchestra-runtime","serviceAccount":{"displayName":"Orchestra runtime"}}'
post "/v1/projects/$P/locations/us-central1/repositories?repositoryId=orchestra" '{"format":"DOCKER"}'
post "/storage/v1/b?project=$P" '{"name":"gcloud-check-reports","location":"US-CENTRAL1"}'
post "/v1/projects/$P/locations/us-central1/workstationClusters?workstationClusterId=orchestra" '{}'
post "/v1/projects/$P/locations/us-central1/workstationClusters/orchestra/workstationConfigs?workstationConfigId=dev" '{"host":{"gceInstance":{"machineType":"e2-standard-8"}}}'
post "/v1/projects/$P/locations/us-central1/workstationClusters/orchestra/workstationConfigs/dev/workstations?workstationId=ws1" '{}'
post "/v1/projects/$P/databases?databaseId=(default)" '{"locationId":"nam5","type":"FIRESTORE_NATIVE"}'
post "/v1/projects/$P/secrets?secretId=orchestra-config" '{"replication":{"automatic":{}}}'
post "/v1/projects/$P/secrets/orchestra-config:addVersion" "{\"payload\":{\"data\":\"$(printf 'KEY=value' | base64)\"}}"
post "/v2/projects/$P/locations/us-central1/services?serviceId=orchestra-api" '{"template":{"containers":[{"image":"us-central1-docker.pkg.dev/gcloud-check/orchestra/api:latest"}]}}'

export CLOUDSDK_CONFIG="$DATA/gcloud-config" CLOUDSDK_CORE_PROJECT=$P CLOUDSDK_AUTH_ACCESS_TOKEN=fake
export CLOUDSDK_CORE_DISABLE_PROMPTS=1 CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=1 CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=1
eval "$(node -e '
const base = process.argv[1];
for (const api of ["serviceusage","iam","cloudresourcemanager","artifactregistry","workstations","firestore","secretmanager","run"]) console.log(`export CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}=${base}/`);
console.log(`export CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=${base}/storage/v1/`);
' "$URL")"
FAIL=0
check() {
  printf '\n--- gcloud %s\n' "$*"
  if ! timeout 60 gcloud "$@" 2>&1 | sed 's/^/    /'; then FAIL=1; fi
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "    FAILED (exit ${PIPESTATUS[0]})"; FAIL=1; }
}
# Writes through gcloud: request shapes and operation polling as gcloud does them.
check services enable workstations.googleapis.com compute.googleapis.com
check iam service-accounts create gcloud-made --display-name="Made by gcloud"
check secrets create gcloud-secret --replication-policy=automatic
printf 'from-gcloud' | check secrets versions add gcloud-secret --data-file=-
check artifacts repositories create gcloud-repo --repository-format=docker --location=us-central1
check storage buckets create gs://gcloud-check-made --location=us-central1
check projects add-iam-policy-binding $P --member="serviceAccount:gcloud-made@$P.iam.gserviceaccount.com" --role=roles/run.invoker --condition=None
check workstations clusters create gcloud-cluster --region=us-central1 --network=projects/$P/global/networks/default --subnetwork=projects/$P/regions/us-central1/subnetworks/default
check firestore databases create --database=gcloud-db --location=nam5 --type=firestore-native
# Reads of what the engine's calls and gcloud's created.
check services list --enabled --format='value(config.name)'
check iam service-accounts list --format='table(email,displayName)'
check iam service-accounts describe "orchestra-runtime@$P.iam.gserviceaccount.com"
check projects get-iam-policy $P --format=json
check artifacts repositories describe orchestra --location=us-central1
check artifacts repositories list --location=us-central1
check storage buckets describe gs://gcloud-check-reports --format=json
check storage buckets list --format='value(name)'
check workstations clusters describe orchestra --region=us-central1
check workstations configs describe dev --cluster=orchestra --region=us-central1
check workstations describe ws1 --config=dev --cluster=orchestra --region=us-central1
check firestore databases list --format=json
check firestore databases describe --database='(default)'
check secrets describe orchestra-config
check secrets versions list orchestra-config
check secrets versions access latest --secret=orchestra-config
check secrets versions access latest --secret=gcloud-secret
# gcloud reads Cloud Run through the Knative v1 API on a regional host
# ('us-central1-127.0.0.1:P'), which no resolver knows: route it through the
# emulator as an HTTP proxy (it serves absolute-form request URIs).
PORT=${URL##*:}
export CLOUDSDK_PROXY_TYPE=http CLOUDSDK_PROXY_ADDRESS=127.0.0.1 CLOUDSDK_PROXY_PORT=$PORT
check run services describe orchestra-api --region=us-central1 --format=json
check run services list --region=us-central1
# Errors as gcloud understands them: it must read Google's error JSON, not crash on it.
expect_error() {
  local pattern=$1
  shift
  printf '\n--- gcloud %s   (expected to fail with /%s/)\n' "$*" "$pattern"
  local out
  out=$(timeout 60 gcloud "$@" 2>&1)
  echo "$out" | sed 's/^/    /'
  if ! echo "$out" | grep -Eq "$pattern" || echo "$out" | grep -q 'gcloud crashed'; then
    echo "    UNEXPECTED"
    FAIL=1
  fi
}
unset CLOUDSDK_PROXY_TYPE CLOUDSDK_PROXY_ADDRESS CLOUDSDK_PROXY_PORT
expect_error 'NOT_FOUND|not found' secrets describe no-such-secret
expect_error 'ALREADY_EXISTS|already exists' iam service-accounts create gcloud-made
expect_error 'not enabled|SERVICE_DISABLED|has not been used' secrets list --project=fresh-project
echo
[ $FAIL = 0 ] && echo "gcloud check: all commands succeeded" || echo "gcloud check: FAILURES above"
exit $FAIL
