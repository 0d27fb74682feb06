
namespace Watchtower.Workflows;

/// <summary>
/// A workflow, signal or update argument that survives malformed JSON. When a field has the wrong
/// type, <see cref="PipelineDataConverter"/> hands the workflow an empty instance with
/// <see cref="DecodeError"/> set, so the workflow can fail (or reject) with a readable message. By
/// default the SDK would instead fail the workflow task and retry it forever, or drop the signal.
/// </summary>
public interface IWorkflowInput
{
    /// <summary>Gets why the JSON could not be read into this type, or null when it could.</summary>
    string? DecodeError { get; init; }
}
