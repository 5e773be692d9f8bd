namespace AioProcessing.Internal;

/// <summary>
/// The one place sync twins are derived from async paths: every blocking member is <c>Blocking.Wait(XAsync(...))</c>,
/// so timeouts, cancellation and errors behave identically in both.
/// </summary>
internal static class Blocking
{
    public static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    public static void Wait(Task task) => task.GetAwaiter().GetResult();
}
