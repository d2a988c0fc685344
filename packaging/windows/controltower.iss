; Inno Setup script: wraps the one-folder build (dist\ControlTower) in one installer,
; dist\installer\ControlTower-<version>-setup.exe. Run from the repository root after the PyInstaller build:
;   iscc /DAppVersion=0.1.0 packaging\windows\controltower.iss
; Installs per user by default (no administrator needed on a shop's laptop); the store, its backups and the logs
; live in the user's data folder (%LOCALAPPDATA%\ControlTower) and are kept when the app is uninstalled.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Control Tower"
#define AppExe "ControlTower.exe"
; Relative to this script's folder.
#define BuiltApp "..\..\dist\ControlTower"

[Setup]
; The AppId identifies the app to Windows across versions: never change it, or upgrades install side by side.
AppId={{6F1C1B9E-0C7B-4C53-9F7E-2B8A3D0F5A11}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Control Tower
DefaultDirName={autopf}\Control Tower
DefaultGroupName=Control Tower
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist\installer
OutputBaseFilename=ControlTower-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
; An open Control Tower holds the store: ask it to close before files are replaced.
CloseApplications=yes
RestartApplications=no
; Sign the installer and the uninstaller when a certificate is configured (see packaging/README.md):
;   iscc "/Ssigntool=signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /a $f" /DSign=1 ...
#ifdef Sign
SignTool=signtool
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "{#BuiltApp}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; Files of an older version that this one no longer ships would otherwise be loaded by PyInstaller's bootloader.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Control Tower"; Filename: "{app}\{#AppExe}"
Name: "{autoprograms}\Control Tower (demo)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"; Comment: "Try Control Tower on a generated day, with sandbox carriers"
Name: "{autodesktop}\Control Tower"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Parameters: "--demo"; Description: "Open Control Tower on a demo day"; Flags: nowait postinstall skipifsilent unchecked
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,Control Tower}"; Flags: nowait postinstall skipifsilent
