namespace AioProcessing.Tests.Support;

/// <summary>
/// The checkout the tests were built from, found by walking up from the test binaries. Source paths compiled into
/// the assembly cannot be used: a CI build (CI=true, so ContinuousIntegrationBuild) maps them to "/_/".
/// </summary>
public static class SourceTree
{
    /// <summary>The folder that holds AioProcessing.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path inside the checkout, from parts relative to its root.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "AioProcessing.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds AioProcessing.sln; run from a build output inside the checkout.");
    }
}
