using ProxClmc.Guard.Application.Check;
using ProxClmc.Guard.Application.Configuration;
using ProxClmc.Guard.Application.Errors;
using ProxClmc.Guard.Application.Evacuate;
using ProxClmc.Guard.Application.Pipeline;
using ProxClmc.Guard.Application.Ports;
using ProxClmc.Guard.Cli;
using ProxClmc.Guard.Composition;
using ProxClmc.Guard.Core.Catalog;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Cli.Tests.Application.Check;

/// <summary>
/// <c>check</c> and <c>check --evacuate</c> as use cases over the lab snapshot, through the same source adapters the
/// command line builds: the answers and the outcome are values, a request naming what is not there is an error.
/// </summary>
public sealed class CheckUseCaseTests : IDisposable
{
    private readonly ClusterSources _sources;
    private readonly GuardPipeline _pipeline;

    public CheckUseCaseTests()
    {
        var settings = new RunSettings { From = RepoPaths.LabCluster };
        _sources = CompositionRoot.SourceFactory(new CliEnvironment { Out = TextWriter.Null, Error = TextWriter.Null }).Create(settings);
        _pipeline = new GuardPipeline(settings, _sources, CpuCatalog.Default, TimeProvider.System, File.ReadAllText);
    }

    public void Dispose() => _sources.Dispose();

    [Fact]
    public async Task A_node_that_cannot_run_the_guest_is_in_the_result_and_decides_the_outcome()
    {
        var result = await CheckUseCase.CheckAsync(_pipeline, new CheckRequest(103), CancellationToken.None);

        Assert.Equal("pve2", result.Guest.Node);
        Assert.Equal(["pve1", "pve2", "pve3", "pve4"], result.Answers.Select(a => a.Target));
        Assert.Equal(["pve1"], result.Refused);
        Assert.Contains("avx2", result.Answers[0].Reason, StringComparison.Ordinal);
        Assert.Equal(CheckOutcome.Refused, result.Outcome);
    }

    [Fact]
    public async Task With_a_target_only_that_node_is_judged()
    {
        var result = await CheckUseCase.CheckAsync(_pipeline, new CheckRequest(103, "pve3"), CancellationToken.None);

        Assert.Equal("pve3", Assert.Single(result.Answers).Target);
        Assert.Empty(result.Refused);
        Assert.Equal(CheckOutcome.CanRun, result.Outcome);
    }

    [Fact]
    public async Task A_guest_or_node_the_cluster_does_not_have_is_an_invalid_request()
    {
        var guest = await Assert.ThrowsAsync<InvalidRequestException>(() => CheckUseCase.CheckAsync(_pipeline, new CheckRequest(99999), CancellationToken.None));
        var node = await Assert.ThrowsAsync<InvalidRequestException>(() => CheckUseCase.CheckAsync(_pipeline, new CheckRequest(103, "pve9"), CancellationToken.None));

        Assert.Equal($"VM 99999: no such guest in the cluster ({RepoPaths.LabCluster})", guest.Message);
        Assert.StartsWith("--target pve9: no such node (", node.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_evacuation_answers_each_vm_of_the_node_for_every_other_node()
    {
        var result = await EvacuateUseCase.EvacuateAsync(_pipeline, new EvacuateRequest("pve2"), CancellationToken.None);

        Assert.Equal(["pve1", "pve3", "pve4"], result.Candidates);
        var vm103 = Assert.Single(result.Entries, e => e.Guest.VmId == 103);
        Assert.Equal(["pve1", "pve3", "pve4"], vm103.Answers.Select(a => a.Target));
        Assert.Equal(false, vm103.Answers[0].Allowed);
        Assert.All(result.Entries, e => Assert.Equal("pve2", e.Guest.Node));
        Assert.Equal(result.Stranded.Count > 0 ? EvacuateOutcome.Stranded : result.HaUnsafe.Count > 0 ? EvacuateOutcome.HaUnsafe : result.Unknown.Count > 0 ? EvacuateOutcome.Unknown : EvacuateOutcome.Safe, result.Outcome);
    }

    [Fact]
    public async Task Evacuating_onto_the_node_itself_is_an_invalid_request()
    {
        var e = await Assert.ThrowsAsync<InvalidRequestException>(() => EvacuateUseCase.EvacuateAsync(_pipeline, new EvacuateRequest("pve1", "pve1"), CancellationToken.None));

        Assert.Equal("--target pve1: that is the node being evacuated", e.Message);
    }
}
