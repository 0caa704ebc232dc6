using UcloudIm.Persistence;

namespace UcloudIm.Tests.Integration.Persistence;

/// <summary>Interactive endpoints and their sessions, on SQLite and PostgreSQL.</summary>
public sealed class WebEndpointsRepositoryTests
{
    public static TheoryData<string> Databases => TestDatabases.Kinds;

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task A_session_leads_to_its_own_endpoint_while_the_job_runs_and_an_ended_jobs_rows_are_forgotten(string kind) =>
        await TestDatabases.With(kind, async db =>
        {
            var ct = TestContext.Current.CancellationToken;
            var time = new FixedTime(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
            var jobs = new JobsRepository(db, time);
            var web = new WebEndpointsRepository(db, time);
            await jobs.TrackAsync("j1", 101, 1001, "alice", ["submitted"], null, null, ct);
            await jobs.TrackAsync("j2", 102, 1001, "alice", ["submitted"], null, null, ct);
            await web.RegisterAsync("app-j1-0.apps.example", "j1", 1001, "node1", 20001, "t1", TimeSpan.FromMinutes(5), ct);
            await web.RegisterAsync("vnc-j2-0", "j2", 1001, "node2", 20002, "t2", TimeSpan.FromMinutes(5), ct);
            // Not running yet: the link does not work (and is spent).
            Assert.Null(await web.AuthorizeAsync("app-j1-0.apps.example", "t1", TimeSpan.FromHours(1), ct));
            await web.RegisterAsync("app-j1-0.apps.example", "j1", 1001, "node1", 20001, "t1", TimeSpan.FromMinutes(5), ct);
            await jobs.RecordAsync([new StateChange("j1", "RUNNING", "running"), new StateChange("j2", "RUNNING", "running")], ct);

            var s1 = await web.AuthorizeAsync("app-j1-0.apps.example", "t1", TimeSpan.FromHours(1), ct);
            var s2 = await web.AuthorizeAsync("vnc-j2-0", "t2", TimeSpan.FromHours(1), ct);
            Assert.NotNull(s1);
            Assert.NotNull(s2);
            Assert.Null(await web.AuthorizeAsync("vnc-j2-0", "t2", TimeSpan.FromHours(1), ct)); // once only
            Assert.Equal(("node1", 20001), await Target(web, "app-j1-0.apps.example", s1!, ct));
            Assert.Null(await web.ResolveAsync("vnc-j2-0", s1!, ct)); // another endpoint's session
            Assert.Null(await web.ResolveAsync("app-j1-0.apps.example", "made-up", ct));

            await jobs.RecordAsync([new StateChange("j1", "SUCCESS", "done")], ct);
            Assert.Null(await web.ResolveAsync("app-j1-0.apps.example", s1!, ct)); // closed with its job at once
            Assert.Equal(1, await web.ForgetEndedAsync(ct));
            Assert.Equal(0, await web.ForgetEndedAsync(ct));
            Assert.Equal(("node2", 20002), await Target(web, "vnc-j2-0", s2!, ct)); // the running job's stays

            time.Now = time.Now.AddHours(2);
            Assert.Null(await web.ResolveAsync("vnc-j2-0", s2!, ct)); // expired
        });

    private static async Task<(string, int)?> Target(WebEndpointsRepository web, string domain, string session, CancellationToken ct) =>
        await web.ResolveAsync(domain, session, ct) is { } t ? (t.Host, t.Port) : null;
}
