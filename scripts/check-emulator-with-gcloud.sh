#!/usr/bin/env bash
# A rehearsal read back by a real Google client: starts the sandbox, runs the CLI's
# execute against it (every phase, the demo API source built by Cloud Build), then
# reads every resource the run created with gcloud, pointed at the sandbox exactly as
# `orchestra-migrate sandbox` tells a user to, and checks what gcloud prints.
# A parse error, a non-zero exit or a missing value means the emulator drifted from
# Google's shapes. gcloud's settings live in a throw-away CLOUDSDK_CONFIG.
# Usage: bash scripts/check-emulator-with-gcloud.sh   (npm test runs it where gcloud is installed)
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
command -v gcloud >/dev/null || {
  echo "gcloud check: SKIPPED (gcloud is not installed)"
  exit 0
}
P=gcloud-check
L=us-central1
TMP=$(mktemp -d)
WS="$TMP/workspace"
OUT="$TMP/sandbox.json"
node_modules/.bin/tsx src/cli/main.ts sandbox --port 0 --json --data "$TMP/data" --lro-delay-ms 0 --seed 20 --embeddings 768 --project $P >"$OUT" 2>"$TMP/sandbox.err" &
PID=$!
cleanup() {
  kill -TERM "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
# Nothing of ours may outlive the check: the sandbox process and its port must be gone.
ensure_stopped() {
  kill -TERM "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  if kill -0 "$PID" 2>/dev/null || curl -s -o /dev/null --max-time 2 "$URL/__admin/health"; then
    echo "gcloud check: the sandbox (pid $PID, $URL) is still alive after SIGTERM"
    return 1
  fi
  echo "gcloud check: the sandbox process and its servers are stopped"
}
for _ in $(seq 1 300); do [ -s "$OUT" ] && break; sleep 0.1; done
[ -s "$OUT" ] || { echo "the sandbox did not start:"; cat "$TMP/sandbox.err"; exit 1; }
json() { node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(process.argv[2].split(".").reduce((v,k)=>v[k],o))' "$@"; }
URL=$(json "$OUT" gcp)
echo "sandbox at $URL"

# The rehearsal, as a user runs it: config pointing at the sandbox, the demo API source, execute;
# every phase's optional parts on (a team member for AI Coding, the AlloyDB vector store).
mkdir -p "$WS/config"
cp -r demo/api "$WS/api"
cat >"$WS/config/common.json" <<EOF
{
  "projectId": "$P",
  "location": "$L",
  "gcp": { "emulator": true },
  "endpoints": { "gcpEmulator": "$URL", "memory": "$(json "$OUT" memory)" },
  "phases": {
    "aiCoding": { "members": ["user:ana@example.com"] },
    "memorySystem": {
      "targetEndpoint": "$(json "$OUT" memoryTarget)",
      "vectorStore": { "enabled": true, "embeddingModel": "text-embedding-005", "searchTargetMs": 2000 }
    },
    "validation": { "samples": 3 }
  },
  "validation": { "targets": { "memoryReadMs": 2000, "apiMs": 2000 } },
  "memory": { "timeoutMs": 15000 }
}
EOF
echo "--- orchestra-migrate execute --yes (in $WS)"
if ! (cd "$WS" && env -i PATH="$PATH" HOME="$TMP" "$ROOT/node_modules/.bin/tsx" "$ROOT/src/cli/main.ts" execute --yes >"$TMP/execute.log" 2>&1); then
  sed 's/^/    /' "$TMP/execute.log" | tail -40
  echo "gcloud check: FAILED (the rehearsal's execute failed)"
  exit 1
fi
tail -3 "$TMP/execute.log" | sed 's/^/    /'

# gcloud as the sandbox's printed instructions set it up (an issued token, the overrides, the proxy).
export CLOUDSDK_CONFIG="$TMP/gcloud-config" CLOUDSDK_CORE_PROJECT=$P
export CLOUDSDK_CORE_DISABLE_PROMPTS=1 CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=1 CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=1
CLOUDSDK_AUTH_ACCESS_TOKEN=$(curl -s -d grant_type=client_credentials "$URL/token" | node -e 'process.stdin.on("data",d=>console.log(JSON.parse(d).access_token))')
export CLOUDSDK_AUTH_ACCESS_TOKEN
eval "$(node_modules/.bin/tsx -e '
import { gcloudInstructions } from "./src/cli/commands/sandbox";
for (const line of gcloudInstructions(process.argv[1], { projects: [], token: "" })) if (/^export CLOUDSDK_(API|PROXY)/.test(line)) console.log(line);
' "$URL")"

FAIL=0
CHECKS=0
# gcloud_matches MODE REGEX gcloud-args...: gcloud must exit 0, and its output must match
# REGEX (MODE 'some') or must not (MODE 'none').
gcloud_matches() {
  local mode=$1 pattern=$2
  shift 2
  CHECKS=$((CHECKS + 1))
  printf '\n--- gcloud %s   (expect %s/%s/)\n' "$*" "$([ "$mode" = none ] && echo 'no ')" "$pattern"
  local out
  out=$(timeout 90 gcloud "$@" 2>&1)
  local code=$?
  echo "$out" | head -30 | sed 's/^/    /'
  local matched=no
  echo "$out" | grep -Eq -- "$pattern" && matched=yes
  if [ $code -ne 0 ]; then
    echo "    FAILED (exit $code)"
    FAIL=1
  elif [ "$mode" = some ] && [ $matched = no ]; then
    echo "    FAILED (no match for /$pattern/)"
    FAIL=1
  elif [ "$mode" = none ] && [ $matched = yes ]; then
    echo "    FAILED (printed /$pattern/)"
    FAIL=1
  fi
}
# check EXPECTED-REGEX gcloud-args...: gcloud must exit 0 and print something matching.
check() { gcloud_matches some "$@"; }
# check_none UNWANTED-REGEX gcloud-args...: gcloud must exit 0 and print nothing matching.
check_none() { gcloud_matches none "$@"; }
SA="orchestra-runtime@$P.iam.gserviceaccount.com"
BUCKET="$P-orchestra-reports"
REPO="$L-docker.pkg.dev/$P/orchestra"
check 'run\.googleapis\.com' services list --enabled --format='value(config.name)'
check 'cloudbuild\.googleapis\.com' services list --enabled --format='value(config.name)'
# Enabled on a new project as Google documents it, without the migration asking.
check '^bigquery\.googleapis\.com$' services list --enabled --format='value(config.name)'
check '^logging\.googleapis\.com$' services list --enabled --format='value(config.name)'
check '^cloudaicompanion\.googleapis\.com$' services list --enabled --format='value(config.name)'
check '^alloydb\.googleapis\.com$' services list --enabled --format='value(config.name)'
check '^aiplatform\.googleapis\.com$' services list --enabled --format='value(config.name)'
check "^$SA\$" iam service-accounts describe "$SA" --format='value(email)'
check "serviceAccount:$SA" projects get-iam-policy $P --format=json
check '^roles/cloudaicompanion\.user$' projects get-iam-policy $P --flatten='bindings[].members' \
  --filter='bindings.members:user:ana@example.com' --format='value(bindings.role)'
check '^DOCKER$' artifacts repositories describe orchestra --location=$L --format='value(format)'
check "^$REPO/orchestra-api	sha256:[0-9a-f]{64}	.*src-[0-9a-f]{16}" artifacts docker images list "$REPO" --include-tags --format='value(package,version,tags)'
check "^$BUCKET\$" storage buckets describe "gs://$BUCKET" --format='value(name)'
check "gs://$BUCKET/source/" storage ls "gs://$BUCKET"
check "gs://$BUCKET/log-[0-9a-f-]+\.txt" storage ls "gs://$BUCKET"
check "gs://$BUCKET/source/orchestra-api-[0-9a-f]{16}\.tar\.gz" storage ls "gs://$BUCKET/source/"
check '^SUCCESS' builds list --region=$L --format='value(status,images)'
BUILD=$(gcloud builds list --region=$L --format='value(id)' 2>/dev/null | head -1)
check "$REPO/orchestra-api:src-[0-9a-f]{16}" builds describe "$BUILD" --region=$L --format=json
check "^orchestra-cluster|orchestra" workstations clusters list --region=$L --format='value(name)'
check '^e2-standard-4	.*code-oss:latest$' workstations configs describe orchestra-config --cluster=orchestra-cluster --region=$L \
  --format='value(host.gceInstance.machineType,container.image)'
check "^projects/$P/locations/$L/workstationClusters/orchestra-cluster/workstationConfigs/orchestra-config/workstations/orchestra-dev\$" \
  workstations describe orchestra-dev --config=orchestra-config --cluster=orchestra-cluster --region=$L --format='value(name)'
check "^READY	projects/$P/locations/$L/clusters/orchestra-memory\$" alloydb clusters describe orchestra-memory --region=$L --format='value(state,name)'
check '^READY	PRIMARY	2$' alloydb instances describe orchestra-memory-primary --cluster=orchestra-memory --region=$L \
  --format='value(state,instanceType,machineConfig.cpuCount)'
check '^1	(enabled|ENABLED)$' secrets versions list orchestra-alloydb-password --format='value(name.basename(),state)'
check 'FIRESTORE_NATIVE' firestore databases describe --database='(default)' --format=json
check 'orchestra-config' secrets describe orchestra-config --format='value(name)'
check '"projectId":"gcloud-check"' secrets versions access latest --secret=orchestra-config
check '"name": "ORCHESTRA_CONFIG"' run services describe orchestra-api --region=$L --format=json
ENV0='spec.template.spec.containers[0].env[0]'
check '^ORCHESTRA_CONFIG	orchestra-config	latest$' run services describe orchestra-api --region=$L \
  --format="value($ENV0.name,$ENV0.valueFrom.secretKeyRef.name,$ENV0.valueFrom.secretKeyRef.key)"
check "$REPO/orchestra-api@sha256:" run services describe orchestra-api --region=$L --format='value(spec.template.spec.containers[0].image)'
REV=$(gcloud run services describe orchestra-api --region=$L --format='value(status.latestReadyRevisionName)' 2>/dev/null)
check "^$REV\$" run revisions list --region=$L --service=orchestra-api --format='value(metadata.name)'
check 'ORCHESTRA_CONFIG' run revisions describe "$REV" --region=$L
check 'orchestra-api' run services list --format='value(metadata.name)'
check "projects/$P/locations/$L/operations/" alloydb operations list --region=$L --format='value(name)'
# Each API's host lists its own operations: the Workstations and Cloud Build ones share the path shape.
check_none 'workstationClusters|workstationConfigs|/workstations/' alloydb operations list --region=$L --format='value(metadata.target)'
check "projects/$P/databases/\(default\)/operations/" firestore operations list --format='value(name)'
# Errors as gcloud reads them: Google's error JSON, not a crash.
expect_error() {
  local pattern=$1
  shift
  CHECKS=$((CHECKS + 1))
  printf '\n--- gcloud %s   (expected to fail with /%s/)\n' "$*" "$pattern"
  local out
  out=$(timeout 90 gcloud "$@" 2>&1)
  echo "$out" | head -8 | sed 's/^/    /'
  if ! echo "$out" | grep -Eq "$pattern" || echo "$out" | grep -q 'gcloud crashed'; then
    echo "    UNEXPECTED"
    FAIL=1
  fi
}
expect_error 'NOT_FOUND|not found' secrets describe no-such-secret
expect_error 'PERMISSION_DENIED|Permission denied on resource project' secrets list --project=not-a-known-project
CLOUDSDK_AUTH_ACCESS_TOKEN=ya29.made-up expect_error 'UNAUTHENTICATED|invalid authentication credentials|401' secrets list
echo
ensure_stopped || FAIL=1
if [ $FAIL = 0 ]; then echo "gcloud check: $CHECKS checks passed"; else echo "gcloud check: FAILURES above ($CHECKS checks)"; fi
exit $FAIL
