#!/usr/bin/env bash
# Rebuilds src/Latchkey/Accounts/Data/common-passwords.txt (the offline common/breached
# password list the sign-up and password-change validator refuses) from an npm package.
# Needs node and npm; the package is installed into a temporary folder and removed after.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

package="@zxcvbn-ts/language-common"
version="4.1.3"
out_dir="../../src/Latchkey/Accounts/Data"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

npm install --prefix "$work" --no-save --no-package-lock --no-audit --no-fund "$package@$version" >&2

mkdir -p "$out_dir"
node ./build-list.js "$work/node_modules" "$package" "$version" "$out_dir/common-passwords.txt"
cp "$work/node_modules/$package/LICENSE.txt" "$out_dir/LICENSE-common-passwords.txt"
