using Microsoft.Extensions.Time.Testing;
using UcloudIm.Hosting;
using UcloudIm.UserInstance.Terminals;

namespace UcloudIm.Tests.Unit.UserInstance;

/// <summary>Terminal session identifiers: one terminal each, within five minutes, and bounded in number.</summary>
public sealed class TerminalSessionsTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-29T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void An_identifier_opens_one_terminal()
    {
        var sessions = new TerminalSessions(_time);
        var target = new TerminalTarget("/home/alice", 42, 1);
        var id = sessions.Create(target);
        Assert.True(id.Length >= 43, id); // 256 bits, base64url
        Assert.Equal(target, sessions.Take(id));
        Assert.Null(sessions.Take(id));
    }

    [Fact]
    public void An_identifier_expires_after_five_minutes()
    {
        var sessions = new TerminalSessions(_time);
        var early = sessions.Create(new TerminalTarget("/a"));
        var late = sessions.Create(new TerminalTarget("/b"));
        _time.Advance(TerminalSessions.OpenWithin - TimeSpan.FromSeconds(1));
        Assert.NotNull(sessions.Take(early));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(sessions.Take(late));
    }

    [Theory]
    [InlineData("")]
    [InlineData("made-up")]
    public void An_unknown_identifier_opens_nothing(string id) => Assert.Null(new TerminalSessions(_time).Take(id));

    [Fact]
    public void Identifiers_waiting_to_be_used_are_bounded_and_expired_ones_make_room()
    {
        var sessions = new TerminalSessions(_time);
        for (var i = 0; i < 256; i++) sessions.Create(new TerminalTarget("/x"));
        Assert.Equal(429, Assert.Throws<ImException>(() => sessions.Create(new TerminalTarget("/x"))).StatusCode);
        _time.Advance(TerminalSessions.OpenWithin + TimeSpan.FromSeconds(1));
        Assert.NotNull(sessions.Take(sessions.Create(new TerminalTarget("/x"))));
    }

    [Fact]
    public void At_most_MaxLive_terminals_run_at_once()
    {
        var sessions = new TerminalSessions(_time);
        for (var i = 0; i < TerminalSessions.MaxLive; i++) Assert.True(sessions.TryEnter());
        Assert.False(sessions.TryEnter());
        sessions.Leave();
        Assert.True(sessions.TryEnter());
    }
}
