namespace AioProcessing;

/// <summary>How far a map-like call is: chunks' tasks done out of the total (null while an input is still being read).</summary>
/// <param name="Done">Tasks finished.</param>
/// <param name="Total">Tasks in all, when known.</param>
public readonly record struct PoolProgress(int Done, int? Total);
