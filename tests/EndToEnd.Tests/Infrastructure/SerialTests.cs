namespace Watchtower.EndToEnd.Tests.Infrastructure;

/// <summary>Tests in this collection run after the parallel ones, one at a time.</summary>
[CollectionDefinition(nameof(SerialTests), DisableParallelization = true)]
public sealed class SerialTests;
