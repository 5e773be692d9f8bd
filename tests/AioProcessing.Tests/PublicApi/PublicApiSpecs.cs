using System.Reflection;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.PublicApi;

/// <summary>
/// The public API of the shipped assemblies, compared with the approved snapshot beside this file. An intended change
/// is approved by copying PublicApi.received.txt (written on a mismatch) over PublicApi.approved.txt.
/// </summary>
public sealed class PublicApiSpecs
{
    private static readonly Assembly[] Shipped =
    [
        typeof(AioContext).Assembly,
        typeof(AioProcessing.Actors.IAioMessage).Assembly,
        typeof(AioProcessing.Node.Hosting.AioNode).Assembly,
        typeof(AioProcessing.MultiNode.MultiNodeCluster).Assembly,
    ];

    [Fact]
    public void The_public_api_matches_the_approved_snapshot()
    {
        var approvedPath = SourceTree.Path("tests", "AioProcessing.Tests", "PublicApi", "PublicApi.approved.txt");
        var receivedPath = SourceTree.Path("tests", "AioProcessing.Tests", "PublicApi", "PublicApi.received.txt");
        var received = string.Join('\n', Shipped.SelectMany(Describe)) + "\n";
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (received == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received);
        var before = approved.Split('\n').ToHashSet(StringComparer.Ordinal);
        var after = received.Split('\n').ToHashSet(StringComparer.Ordinal);
        var added = after.Except(before).Take(20).Select(l => "+ " + l);
        var removed = before.Except(after).Take(20).Select(l => "- " + l);
        Assert.Fail($"The public API changed (approve by copying {receivedPath} over {approvedPath}):\n{string.Join('\n', removed.Concat(added))}");
    }

    [Fact]
    public void Describing_the_api_sees_a_change_of_signature()
    {
        // The snapshot would be worthless if a changed member read the same.
        var described = Describe(typeof(AioContext).Assembly).ToList();
        Assert.Contains("  System.Threading.Tasks.Task<System.Boolean> AcquireAsync(System.Nullable<System.TimeSpan> = null, System.Threading.CancellationToken = null)", described);
        // Internal members (AioContext.Inbox) are not API.
        Assert.DoesNotContain(described, l => l.Contains("ReplyInbox Inbox", StringComparison.Ordinal));
    }

    private static IEnumerable<string> Describe(Assembly assembly) =>
        assembly.GetExportedTypes()
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .SelectMany(t => new[] { $"{assembly.GetName().Name}: {Kind(t)} {Name(t)}{Bases(t)}" }.Concat(Members(t).Select(m => "  " + m)));

    private static IEnumerable<string> Members(Type type) =>
        type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(IsVisible)
            .Select(Member)
            .Where(m => m is not null)
            .Select(m => m!)
            .Order(StringComparer.Ordinal);

    private static bool IsVisible(MemberInfo member) => member switch
    {
        MethodBase m => (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !m.IsSpecialName,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily),
        _ => false,
    } || (member is ConstructorInfo c && (c.IsPublic || c.IsFamily));

    private static string? Member(MemberInfo member) => member switch
    {
        ConstructorInfo c => $"ctor({Parameters(c)})",
        MethodInfo m => $"{(m.IsStatic ? "static " : "")}{Name(m.ReturnType)} {m.Name}{(m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(Name)) + ">" : "")}({Parameters(m)})",
        PropertyInfo p => $"{Name(p.PropertyType)} {p.Name} {{ {(p.GetMethod is { } g && (g.IsPublic || g.IsFamily) ? "get; " : "")}{(p.SetMethod is { } s && (s.IsPublic || s.IsFamily) ? (s.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? "init; " : "set; ") : "")}}}",
        FieldInfo f => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{Name(f.FieldType)} {f.Name}{(f.IsLiteral ? " = " + f.GetRawConstantValue() : "")}",
        EventInfo e => $"event {Name(e.EventHandlerType!)} {e.Name}",
        _ => null,
    };

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => (p.IsDefined(typeof(ParamArrayAttribute)) ? "params " : "") + Name(p.ParameterType) + (p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")));

    private static string Kind(Type t) =>
        t.IsInterface ? "interface" : t.IsEnum ? "enum" : t.IsValueType ? "struct" : typeof(Delegate).IsAssignableFrom(t) ? "delegate" : (t.IsAbstract && t.IsSealed) ? "static class" : t.IsSealed ? "sealed class" : t.IsAbstract ? "abstract class" : "class";

    private static string Bases(Type t)
    {
        var bases = new List<string>();
        if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && b != typeof(MulticastDelegate))
        {
            bases.Add(Name(b));
        }

        bases.AddRange(t.GetInterfaces().Select(Name).Order(StringComparer.Ordinal));
        return bases.Count == 0 ? "" : " : " + string.Join(", ", bases);
    }

    private static string Name(Type t)
    {
        if (t.IsGenericParameter)
        {
            return t.Name;
        }

        if (t.IsByRef)
        {
            return "ref " + Name(t.GetElementType()!);
        }

        if (t.IsArray)
        {
            return Name(t.GetElementType()!) + "[]";
        }

        var name = (t.IsNested ? Name(t.DeclaringType!) + "." : t.Namespace + ".") + (t.Name.Contains('`', StringComparison.Ordinal) ? t.Name[..t.Name.IndexOf('`', StringComparison.Ordinal)] : t.Name);
        var own = t.GetGenericArguments().Skip(t.IsNested ? t.DeclaringType!.GetGenericArguments().Length : 0).ToArray();
        return own.Length == 0 ? name : $"{name}<{string.Join(", ", own.Select(Name))}>";
    }
}
