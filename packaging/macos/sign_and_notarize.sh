#!/usr/bin/env bash
# Sign dist/ControlTower.app with a Developer ID, wrap it in a .dmg, notarise and staple it (macOS only).
#   CODESIGN_IDENTITY="Developer ID Application: Your Shop Ltd (TEAMID1234)"   a certificate in the keychain
#   NOTARY_PROFILE=controltower   made once with:
#       xcrun notarytool store-credentials controltower --apple-id you@example.com --team-id TEAMID1234
#   (an app-specific password from appleid.apple.com; on CI, import the .p12 into a temporary keychain first)
# Result: dist/ControlTower-<version>.dmg, signed, notarised and stapled; Gatekeeper opens it without warnings.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CODESIGN_IDENTITY:?set CODESIGN_IDENTITY to your Developer ID Application certificate}"
: "${NOTARY_PROFILE:?set NOTARY_PROFILE to a notarytool keychain profile}"
APP=dist/ControlTower.app
HERE=packaging/macos
VERSION=$(/usr/libexec/PlistBuddy -c 'Print CFBundleShortVersionString' "$APP/Contents/Info.plist")
DMG="dist/ControlTower-$VERSION.dmg"
sign() { codesign --force --timestamp --options runtime --sign "$CODESIGN_IDENTITY" "$@"; }

# Inside out: every library first, then the web engine's helper with its own entitlements, then the app.
find "$APP/Contents" -type f \( -name '*.so' -o -name '*.dylib' \) -print0 | xargs -0 -n 20 bash -c \
    'codesign --force --timestamp --options runtime --sign "$0" "$@"' "$CODESIGN_IDENTITY"
find "$APP/Contents" -type d -name '*.framework' -prune -print0 | while IFS= read -r -d '' framework; do
    sign "$framework"
done
helper=$(find "$APP/Contents" -type d -name 'QtWebEngineProcess.app' | head -1)
[ -n "$helper" ] || { echo "QtWebEngineProcess.app not found in $APP" >&2; exit 1; }
sign --entitlements "$HERE/QtWebEngineProcess.entitlements" "$helper"
sign --entitlements "$HERE/app.entitlements" "$APP"
codesign --verify --deep --strict --verbose=2 "$APP"

rm -f "$DMG"
hdiutil create -volname "Control Tower" -srcfolder "$APP" -ov -format UDZO "$DMG"
sign "$DMG"
xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
xcrun stapler staple "$DMG"
spctl --assess --type open --context context:primary-signature --verbose "$DMG"
echo "$DMG"
