#!/bin/sh
# Copies the hot-path statements of a release into this fixture, so the
# compatibility test runs them against the schema of the next one.
# Usage (when cutting a release, from the repository root): packages/db/test/previousRelease/refresh.sh <release commit or tag>
set -eu
rev="$1"
dir="$(dirname "$0")/sql"
rm -rf "$dir"
mkdir -p "$dir"
for f in applyResultIfCurrent backups changes channels leaseNextOperations lockMode operationColumns operations placeServer \
  releaseServerResources retryBackoff syncResourcePools takeVmids taskOperations transitionServer; do
  {
    echo "// Copied from $(git rev-parse --short "$rev"):packages/db/src/sql/$f.ts by refresh.sh; do not edit."
    git show "$rev:packages/db/src/sql/$f.ts" | sed -e 's#from "\.\./client"#from "../../../src/client"#' -e 's#from "\.\./rows"#from "../../../src/rows"#'
  } > "$dir/$f.ts"
done
git rev-parse "$rev" > "$(dirname "$0")/RELEASE"
