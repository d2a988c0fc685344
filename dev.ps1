# Windows: .\dev.ps1 demo   (set up, then open the demo)   |   .\dev.ps1 test   (set up, then run the tests)
param([string]$Task = "demo")
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
if (-not (Test-Path .venv\Scripts\python.exe)) { py -3.12 -m venv .venv }
.venv\Scripts\python -m pip install -q --upgrade pip
.venv\Scripts\python -m pip install -q -e ".[dev]"
if ($Task -eq "test") {
    $env:QT_QPA_PLATFORM = "offscreen"; $env:QTWEBENGINE_CHROMIUM_FLAGS = "--disable-gpu"
    .venv\Scripts\python -m pytest
    if ($LASTEXITCODE -eq 5) { throw "pytest collected no tests" }
    exit $LASTEXITCODE
} else {
    .venv\Scripts\controltower --demo
}
