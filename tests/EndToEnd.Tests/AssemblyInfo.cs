using Watchtower.EndToEnd.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(DevServerFixture))]
