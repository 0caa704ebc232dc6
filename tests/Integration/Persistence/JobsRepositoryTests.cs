using UcloudIm.Persistence;

namespace UcloudIm.Tests.Integration.Persistence;

/// <summary>Job states and the updates kept for Core, on SQLite and PostgreSQL.</summary>
public sealed class JobsRepositoryTests
{
    public static TheoryData<string> Databases => TestDatabases.Kinds;

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_polls_changes_are_recorded_together_in_order_and_a_final_state_never_changes(string kind) =>
        await TestDatabases.With(kind, async db =>
        {
            var ct = TestContext.Current.CancellationToken;
            var time = new FixedTime(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
            var jobs = new JobsRepository(db, time);
            await jobs.TrackAsync("j1", 101, 1001, "alice", ["submitted"], null, null, ct);
            await jobs.TrackAsync("j2", 102, 1001, "alice", ["submitted"], null, null, ct);
            await jobs.TrackAsync("j3", 103, 1002, "bob", ["submitted"], null, null, ct);

            var changed = await jobs.RecordAsync([
                new StateChange("j1", "RUNNING", "running"),
                new StateChange("j2", "SUCCESS", "done"),
                new StateChange("j3", "IN_QUEUE", "still waiting"), // already its state: no update
                new StateChange("nope", "RUNNING", "unknown job"),   // not tracked: nothing
            ], ct);
            Assert.Equal(2, changed);

            time.Now = time.Now.AddSeconds(2);
            changed = await jobs.RecordAsync([
                new StateChange("j2", "FAILURE", "a final state never changes"),
                new StateChange("j1", "SUCCESS", "done"),
            ], ct);
            Assert.Equal(1, changed);

            var unsent = await jobs.UnsentAsync(100, ct);
            Assert.Equal(
                ["j1 IN_QUEUE", "j2 IN_QUEUE", "j3 IN_QUEUE", "j1 RUNNING", "j2 SUCCESS", "j1 SUCCESS"],
                unsent.Select(u => $"{u.CoreId} {u.State}"));
            Assert.True(unsent.Zip(unsent.Skip(1)).All(p => p.First.Seq < p.Second.Seq));
            Assert.Equal(["j3"], (await jobs.ActiveAsync(ct)).Select(j => j.CoreId));

            await jobs.MarkSentAsync(unsent.Take(4).Select(u => u.Seq), ct);
            Assert.Equal(["j2 SUCCESS", "j1 SUCCESS"], (await jobs.UnsentAsync(100, ct)).Select(u => $"{u.CoreId} {u.State}"));
            Assert.Equal(0, await jobs.RecordAsync([], ct));
        });
}
