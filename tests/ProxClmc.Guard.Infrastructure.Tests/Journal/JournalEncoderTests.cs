using System.Text;
using ProxClmc.Guard.Infrastructure.Journal;
using ProxClmc.Guard.Testing;

namespace ProxClmc.Guard.Infrastructure.Tests.Journal;

public class JournalEncoderTests
{
    private static KeyValuePair<string, string> F(string name, string value) => new(name, value);

    [Fact]
    public void Plain_values_are_name_equals_value_lines()
    {
        var bytes = JournalEncoder.Encode([F("MESSAGE", "VM 101 uses host"), F("PRIORITY", "4"), F("PROXCLMC_VMID", "101")]);

        Assert.Equal("MESSAGE=VM 101 uses host\nPRIORITY=4\nPROXCLMC_VMID=101\n", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void A_value_with_a_newline_uses_the_binary_safe_form_with_a_little_endian_length()
    {
        var bytes = JournalEncoder.Encode([F("MESSAGE", "a\nb"), F("PRIORITY", "6")]);

        byte[] expected =
        [
            .. "MESSAGE\n"u8,
            0x03, 0, 0, 0, 0, 0, 0, 0,
            .. "a\nb\n"u8,
            .. "PRIORITY=6\n"u8,
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void The_binary_length_counts_utf8_bytes_not_characters()
    {
        var bytes = JournalEncoder.Encode([F("EXCEPTION", "é\n€")]);

        byte[] expected = [.. "EXCEPTION\n"u8, 0x06, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0xA9, 0x0A, 0xE2, 0x82, 0xAC, 0x0A];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void An_equals_sign_in_a_value_stays_in_the_plain_form()
    {
        var bytes = JournalEncoder.Encode([F("PROXCLMC_CPU", "x86-64-v2-AES,flags=+aes")]);

        Assert.Equal("PROXCLMC_CPU=x86-64-v2-AES,flags=+aes\n", Encoding.ASCII.GetString(bytes));
    }

    [Theory]
    [InlineData("MESSAGE", "MESSAGE")]
    [InlineData("PROXCLMC_VMID", "PROXCLMC_VMID")]
    [InlineData("vmId", "VMID")]
    [InlineData("proxclmc.node-name", "PROXCLMC_NODE_NAME")]
    [InlineData("_PID", "PID")]
    [InlineData("__SOURCE_REALTIME", "SOURCE_REALTIME")]
    [InlineData("9lives", "F9LIVES")]
    [InlineData("Größe", "GR__E")]
    [InlineData("___", null)]
    [InlineData("", null)]
    public void Field_names_follow_the_journal_rules(string name, string? expected)
    {
        Assert.Equal(expected, JournalEncoder.SanitizeFieldName(name));
    }

    [Fact]
    public void Field_names_are_cut_to_64_characters()
    {
        var name = "PROXCLMC_" + new string('X', 100);

        var sanitized = JournalEncoder.SanitizeFieldName(name);

        Assert.Equal(64, sanitized!.Length);
        Assert.True(JournalEncoder.IsValidFieldName(sanitized));
    }

    [Fact]
    public void A_field_whose_name_has_nothing_usable_is_left_out()
    {
        var bytes = JournalEncoder.Encode([F("__", "dropped"), F("MESSAGE", "kept")]);

        Assert.Equal("MESSAGE=kept\n", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void Any_name_and_value_round_trip_through_the_decoder_with_a_valid_name()
    {
        var inputs = Fuzz.Inputs(["MESSAGE=hello\nworld", "PROXCLMC_VERDICT=host-cpu", "a=b\n\n=c"], Fuzz.Cases(300)).ToList();
        for (var i = 0; i + 1 < inputs.Count; i += 2)
        {
            var name = inputs[i];
            var value = new string(inputs[i + 1].Where(c => !char.IsSurrogate(c)).ToArray());
            var bytes = JournalEncoder.Encode([F(name, value), F("PRIORITY", "6")]);

            var decoded = JournalDatagram.Decode(bytes);

            var expectedName = JournalEncoder.SanitizeFieldName(name);
            if (expectedName is null)
            {
                Assert.Equal([F("PRIORITY", "6")], decoded);
                continue;
            }

            Assert.True(JournalEncoder.IsValidFieldName(decoded[0].Key), decoded[0].Key);
            Assert.Equal(F(expectedName, value), decoded[0]);
            Assert.Equal(F("PRIORITY", "6"), decoded[1]);
        }
    }
}
