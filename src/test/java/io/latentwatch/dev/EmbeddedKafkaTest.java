package io.latentwatch.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.latentwatch.pipeline.kafka.TopicNames;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The builder's and helpers' argument checks (no broker is started). */
class EmbeddedKafkaTest {

    @Test
    void badBuilderArgumentsAreRefusedWithTheRule() {
        assertRefused("port must be in 0..65535 (0 = a free port), got -1", () -> EmbeddedKafka.builder().port(-1));
        assertRefused("port must be in 0..65535 (0 = a free port), got 65536", () -> EmbeddedKafka.builder().port(65536));
        assertRefused("partitions must be at least 1, got 0", () -> EmbeddedKafka.builder().partitions(0));
        assertRefused("SASL username must match [A-Za-z0-9._-]+, got bad user", () -> EmbeddedKafka.builder().sasl("bad user", "pw"));
        assertRefused("SASL password must not be empty", () -> EmbeddedKafka.builder().sasl("user", ""));
        assertRefused("broker property num.io.threads needs a value", () -> EmbeddedKafka.builder().brokerProperty("num.io.threads", null));
    }

    @Test
    void topicNamesAreCheckedAsTheBrokerWould() {
        TopicNames.check("frames-dlq");
        TopicNames.check("model_updates.v1");
        assertRefused("topic name is invalid: 'a/b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'",
                () -> TopicNames.check("a/b"));
        assertRefused("topic name is invalid: '..' is not allowed", () -> TopicNames.check(".."));
        assertRefused("topic name is invalid: the empty string is not allowed", () -> TopicNames.check(""));
        assertRefused("topic name must not be null", () -> TopicNames.check(null));
    }

    @Test
    void jaasConfigQuotesPasswords() {
        assertEquals("org.apache.kafka.common.security.plain.PlainLoginModule required"
                        + " username=\"lw\" password=\"a\\\"b\\\\c\" user_lw=\"a\\\"b\\\\c\";",
                EmbeddedKafka.plainJaasConfig("lw", "a\"b\\c", Map.of("lw", "a\"b\\c")));
    }

    private static void assertRefused(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
