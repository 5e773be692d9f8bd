#!/usr/bin/env pwsh
# AioProcessing build script. PowerShell comes from the local tool manifest:
#   dotnet tool restore
#   dotnet pwsh build.ps1 <target> [args...]
# Targets: build, test, bench, pack, quickstart, format (default: build).
param(
    [Parameter(Position = 0)][ValidateSet('build', 'test', 'bench', 'pack', 'quickstart', 'format')][string]$Target = 'build',
    [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$artifacts = Join-Path $root 'artifacts'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

switch ($Target) {
    'build' {
        Invoke-Dotnet build (Join-Path $root 'AioProcessing.sln') -c Release
    }
    'format' {
        Invoke-Dotnet format (Join-Path $root 'AioProcessing.sln') --verify-no-changes
    }
    'test' {
        # Every spec is bounded: specs carry their own timeouts, and the hang timeout ends (and dumps) a stuck run.
        $results = Join-Path $artifacts 'test-results'
        if (Test-Path $results) { Remove-Item -Recurse -Force $results }
        Invoke-Dotnet build (Join-Path $root 'AioProcessing.sln') -c Release
        # Two passes: with the same-host lane (the default), then with every call on Akka.Remote (AIO_LANE=off), so
        # that both paths keep passing the same specs. -Rest arguments (a filter) apply to both.
        $testExit = 0
        foreach ($pass in @(@{ Name = 'lane'; Lane = $null }, @{ Name = 'akka'; Lane = 'off' })) {
            Write-Output "== test pass: $($pass.Name) =="
            $env:AIO_LANE = $pass.Lane
            & dotnet test (Join-Path $root 'tests/AioProcessing.Tests/AioProcessing.Tests.csproj') -c Release --no-build `
                --blame-hang-timeout 5m --logger "trx;LogFileName=results-$($pass.Name).trx" --logger 'console;verbosity=normal' --results-directory $results @Rest
            if ($LASTEXITCODE -ne 0) { $testExit = $LASTEXITCODE }
        }
        $env:AIO_LANE = $null
        $trxFiles = @(Get-ChildItem -Path $results -Filter 'results-*.trx' -Recurse -ErrorAction SilentlyContinue)
        if ($trxFiles.Count -lt 2) {
            Write-Output '0 passed, 0 failed, 0 skipped'
            throw "test results were not written for both passes (dotnet test exit code $testExit)"
        }
        # Counted from the results files themselves, not from dotnet test's summary.
        $all = @()
        foreach ($trx in $trxFiles) {
            [xml]$doc = Get-Content $trx.FullName
            $all += @($doc.TestRun.Results.UnitTestResult)
        }
        $outcomes = @($all | ForEach-Object { $_.outcome })
        $passed = @($outcomes | Where-Object { $_ -eq 'Passed' }).Count
        $failed = @($outcomes | Where-Object { $_ -in @('Failed', 'Error', 'Timeout', 'Aborted') }).Count
        $skipped = @($outcomes | Where-Object { $_ -in @('NotExecuted', 'Inconclusive', 'Pending') }).Count
        # CI keeps only the tail of the log: repeat each failure (name and first lines of its message) just above the count.
        foreach ($result in @($all | Where-Object { $_.outcome -in @('Failed', 'Error', 'Timeout', 'Aborted') })) {
            Write-Output "FAILED $($result.testName) [$($result.duration)]"
            foreach ($part in @(@('Message', 12), @('StackTrace', 8))) {
                $node = $result.SelectSingleNode("*[local-name()='Output']/*[local-name()='ErrorInfo']/*[local-name()='$($part[0])']")
                if ($null -ne $node) { ($node.InnerText -split "`n" | Select-Object -First $part[1]) | ForEach-Object { Write-Output "    $_" } }
            }
        }
        Write-Output "$passed passed, $failed failed, $skipped skipped"
        if ($failed -gt 0 -or $testExit -ne 0 -or $passed -eq 0) { exit 1 }
    }
    'bench' {
        Invoke-Dotnet run -c Release --project (Join-Path $root 'bench/AioProcessing.Bench') -- @Rest
    }
    'pack' {
        # The libraries (with XML docs, README, license, symbols, Source Link), then the node program as the aio-node
        # tool. Without a public git remote the pack stops; for a feed on this machine only: pack -p:AioLocalPack=true.
        $packages = Join-Path $artifacts 'packages'
        Invoke-Dotnet pack (Join-Path $root 'AioProcessing.sln') -c Release -o $packages @Rest
        Invoke-Dotnet pack (Join-Path $root 'AioProcessing.Node/AioProcessing.Node.csproj') -c Release '-p:AioPackAsTool=true' -o $packages @Rest
    }
    'quickstart' {
        Invoke-Dotnet run -c Release --project (Join-Path $root 'examples/Quickstart')
    }
}
