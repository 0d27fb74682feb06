using System.Text.Json;
using Watchtower.Worker.ResilientWorker;
using Watchtower.Workflows;
using Watchtower.Workflows.Pipeline;

namespace Watchtower.Worker.Tests;

public sealed class StartCommandTests
{
    private const string Prefix = "temporal workflow start --type DocumentPipeline --task-queue ";

    [Theory]
    [InlineData(null)]
    [InlineData("localhost:7233")]
    [InlineData("127.0.0.1:7233")]
    public void For_DefaultAddressAndNamespace_OmitsThem(string? address)
    {
        var command = StartCommand.For("document-pipeline", address, "default");

        Assert.Equal(
            $"{Prefix}document-pipeline --static-summary 'Document pipeline: invoices-november' "
            + $"--input '{StartCommand.SampleInput}'",
            command);
    }

    [Fact]
    public void For_NonDefaultAddressAndNamespace_IncludesThem()
    {
        var command = StartCommand.For("docs", "temporal.example.com:7233", "prod");

        Assert.Equal(
            $"{Prefix}docs --address temporal.example.com:7233 --namespace prod "
            + $"--static-summary 'Document pipeline: invoices-november' --input '{StartCommand.SampleInput}'",
            command);
    }

    [Fact]
    public void For_ValuesWithShellCharacters_AreSingleQuoted()
    {
        var command = StartCommand.For("my queue", "localhost:7233", "it's");

        Assert.Equal(
            $"{Prefix}'my queue' --namespace 'it'\\''s' --static-summary 'Document pipeline: invoices-november' "
            + $"--input '{StartCommand.SampleInput}'",
            command);
    }

    [Fact]
    public void SampleInput_ParsesAndPassesValidation()
    {
        // The sample is pasted into a POSIX shell between single quotes.
        Assert.DoesNotContain('\'', StartCommand.SampleInput);

        var input = JsonSerializer.Deserialize<DocumentPipelineInput>(
            StartCommand.SampleInput,
            PipelineDataConverter.SerializerOptions);

        Assert.NotNull(input);
        Assert.Null(DocumentPipelineInputValidator.Validate(input));
        Assert.Equal("invoices-november", input.Name);
        Assert.Equal(2, input.Documents!.Count);
    }

    [Fact]
    public void For_InputArgument_IsTheSampleInput()
    {
        var command = StartCommand.For("document-pipeline", null, "default");

        const string marker = " --input '";
        var json = command[(command.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..^1];

        Assert.Null(DocumentPipelineInputValidator.Validate(
            JsonSerializer.Deserialize<DocumentPipelineInput>(json, PipelineDataConverter.SerializerOptions)));
    }
}
