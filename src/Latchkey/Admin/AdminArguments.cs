namespace Latchkey.Admin;

/// <summary>One administration command: its name, what it takes, and its help.</summary>
internal sealed record AdminCommand(
    string Name,
    string Synopsis,
    string Summary,
    string Details,
    bool TakesUsername = false,
    bool ReadsPassword = false,
    IReadOnlyList<string>? RequiredOptions = null,
    IReadOnlyList<string>? Flags = null,
    string Positional = "<username>")
{
    public IReadOnlyList<string> Options => RequiredOptions ?? [];
    public IReadOnlyList<string> Switches => Flags ?? [];
}

/// <summary>
/// A parsed `latchkey admin` command line. Options a command does not own are server settings, read
/// as the server reads its own command line (--Key=Value or --Key Value), so that one set of settings
/// serves both; they go to the configuration untouched.
/// </summary>
internal sealed record AdminArguments(
    AdminCommand? Command,
    string? Username,
    IReadOnlyDictionary<string, string> Values,
    IReadOnlySet<string> Flags,
    IReadOnlyList<string> Configuration,
    bool Help,
    string? Error)
{
    public string Value(string option) => Values[option];

    public bool Has(string flag) => Flags.Contains(flag);

    public static AdminArguments Parse(IReadOnlyList<string> args, IReadOnlyList<AdminCommand> commands)
    {
        var valueOptions = commands.SelectMany(c => c.Options).ToHashSet(StringComparer.Ordinal);
        var flagOptions = commands.SelectMany(c => c.Switches).ToHashSet(StringComparer.Ordinal);
        var positionals = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var configuration = new List<string>();
        var help = false;

        AdminArguments Fail(string error, AdminCommand? command = null) =>
            new(command ?? Find(positionals.FirstOrDefault()), null, values, flags, configuration, help, error);
        AdminCommand? Find(string? name) => commands.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                help = true;
                continue;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                var equals = arg.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? arg[2..] : arg[2..equals];
                var inline = equals < 0 ? null : arg[(equals + 1)..];
                // A following "--option" is never taken as a value: a forgotten value must not swallow the next option.
                var next = inline is null && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[i + 1] : null;
                if (valueOptions.Contains(name))
                {
                    var value = inline ?? next;
                    if (string.IsNullOrEmpty(value))
                        return Fail($"--{name} needs a value.");
                    if (inline is null)
                        i++;
                    if (!values.TryAdd(name, value))
                        return Fail($"--{name} is given more than once.");
                }
                else if (flagOptions.Contains(name))
                {
                    if (inline is not null)
                        return Fail($"--{name} takes no value.");
                    flags.Add(name);
                }
                else if (inline is not null)
                    configuration.Add(arg);
                else if (next is not null)
                {
                    configuration.Add(arg);
                    configuration.Add(next);
                    i++;
                }
                else
                    return Fail($"{arg} needs a value (settings are given as --Key=Value or --Key Value).");
            }
            else if (arg.StartsWith('-') && arg.Length > 1)
                return Fail($"Unknown option '{arg}'.");
            else
                positionals.Add(arg);
        }

        if (positionals.Count == 0)
            return help ? new(null, null, values, flags, configuration, true, null) : Fail("No command given.");
        var command = Find(positionals[0]);
        if (command is null)
            return Fail($"Unknown command '{positionals[0]}'.");
        if (help)
            return new(command, null, values, flags, configuration, true, null);

        var expected = command.TakesUsername ? 2 : 1;
        if (positionals.Count < expected)
            return Fail($"{command.Name} needs a {command.Positional}.", command);
        // What is missing first: `list-tokens alice` is best answered with "needs --user".
        if (command.Options.FirstOrDefault(o => !values.ContainsKey(o)) is { } missing)
            return Fail($"{command.Name} needs --{missing}.", command);
        if (positionals.Count > expected)
            return Fail($"Unexpected argument '{positionals[expected]}'.", command);
        if (values.Keys.FirstOrDefault(o => !command.Options.Contains(o)) is { } foreignOption)
            return Fail($"{command.Name} takes no --{foreignOption}.", command);
        if (flags.FirstOrDefault(f => !command.Switches.Contains(f)) is { } foreignFlag)
            return Fail($"{command.Name} takes no --{foreignFlag}.", command);
        return new(command, command.TakesUsername ? positionals[1] : null, values, flags, configuration, false, null);
    }
}
