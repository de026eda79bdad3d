package io.latentwatch.pipeline.kafka;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

/**
 * What a Kafka cluster accepts, as its broker and topics report it: the cap on transaction timeouts and the largest
 * record of the frames and dead-letter topics. The job's settings are checked against it before it starts, so that
 * a mismatch is one readable line instead of a failing sink.
 *
 * @param transactionMaxTimeoutMs the broker's transaction.max.timeout.ms, if it could be read
 * @param framesMaxMessageBytes the frames topic's max.message.bytes, if it could be read
 * @param deadLettersMaxMessageBytes the dead-letter topic's max.message.bytes, if it could be read
 */
public record BrokerLimits(OptionalLong transactionMaxTimeoutMs, OptionalInt framesMaxMessageBytes, OptionalInt deadLettersMaxMessageBytes) {

    public static final String TRANSACTION_MAX_TIMEOUT = "transaction.max.timeout.ms";

    /**
     * Asks the cluster.
     *
     * @throws IllegalStateException if it does not answer in time
     */
    public static BrokerLimits read(KafkaClientConfig kafka, String framesTopic, String deadLetterTopic, long timeoutMillis) {
        try (Admin admin = admin(kafka, "latentwatch-limits-check", timeoutMillis)) {
            String broker = admin.describeCluster().nodes().get(timeoutMillis, TimeUnit.MILLISECONDS).iterator().next().idString();
            ConfigResource brokerResource = new ConfigResource(ConfigResource.Type.BROKER, broker);
            ConfigResource frames = new ConfigResource(ConfigResource.Type.TOPIC, framesTopic);
            ConfigResource dlq = new ConfigResource(ConfigResource.Type.TOPIC, deadLetterTopic);
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(brokerResource, frames, dlq)).all()
                    .get(timeoutMillis, TimeUnit.MILLISECONDS);
            String cap = value(configs.get(brokerResource), TRANSACTION_MAX_TIMEOUT);
            return new BrokerLimits(cap == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(cap)),
                    intValue(configs.get(frames)), intValue(configs.get(dlq)));
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            throw failure(kafka, e, timeoutMillis);
        }
    }

    /**
     * One topic's max.message.bytes as the broker reports it (what a dead-letter writer asks when it opens).
     *
     * @throws IllegalStateException if the cluster does not answer in time
     */
    public static OptionalInt topicMaxMessageBytes(KafkaClientConfig kafka, String topic, long timeoutMillis) {
        try (Admin admin = admin(kafka, "latentwatch-topic-limit", timeoutMillis)) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            return intValue(admin.describeConfigs(List.of(resource)).all().get(timeoutMillis, TimeUnit.MILLISECONDS).get(resource));
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            throw failure(kafka, e, timeoutMillis);
        }
    }

    private static Admin admin(KafkaClientConfig kafka, String clientId, long timeoutMillis) {
        Map<String, Object> p = kafka.toMap();
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMillis);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMillis, Integer.MAX_VALUE));
        return Admin.create(p);
    }

    private static IllegalStateException failure(KafkaClientConfig kafka, Exception e, long timeoutMillis) {
        if (e instanceof ExecutionException) {
            return new IllegalStateException("cannot read the limits of " + kafka.bootstrapServers() + ": " + e.getCause().getMessage(), e.getCause());
        }
        if (e instanceof TimeoutException) {
            return new IllegalStateException("Kafka at " + kafka.bootstrapServers() + " did not answer within " + timeoutMillis + " ms", e);
        }
        Thread.currentThread().interrupt();
        return new IllegalStateException("interrupted while reading the broker's limits", e);
    }

    private static String value(Config config, String name) {
        ConfigEntry e = config == null ? null : config.get(name);
        return e == null ? null : e.value();
    }

    private static OptionalInt intValue(Config topic) {
        String v = value(topic, TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        return v == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(v));
    }
}
