package io.latentwatch.pipeline.kafka;

import java.time.Duration;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The job's Kafka sources and sinks, each with the client settings of one {@link KafkaClientConfig}: sources read
 * {@code read_committed}, sinks get the transaction timeout of {@link #transactionTimeout(KafkaClientConfig)}.
 */
public final class KafkaConnectors {

    /** Kafka's broker-side cap on transaction timeouts is 15 min by default; the sinks stay below it. */
    public static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(10);

    private KafkaConnectors() {}

    /**
     * The frames source.
     *
     * @param stoppingOffsets where it stops (bounded: benchmarks, tests), or null to read on for ever
     */
    public static KafkaSource<RawFrame> frames(KafkaClientConfig kafka, String topic, String groupId, OffsetsInitializer startingOffsets,
            OffsetsInitializer stoppingOffsets) {
        var builder = KafkaSource.<RawFrame>builder()
                .setProperties(readCommitted(kafka))
                .setTopics(topic)
                .setGroupId(groupId)
                .setStartingOffsets(startingOffsets)
                .setDeserializer(new KafkaRecords.FramesDeserializer());
        if (stoppingOffsets != null) {
            builder.setBounded(stoppingOffsets);
        }
        return builder.build();
    }

    /**
     * The scorers' view of model-updates: from the latest offset on a fresh start (the fine-tuner announces the
     * registry's version itself), from the checkpoint after a restore.
     */
    public static KafkaSource<String> modelUpdates(KafkaClientConfig kafka, String topic, String groupId) {
        return KafkaSource.<String>builder()
                .setProperties(readCommitted(kafka))
                .setTopics(topic)
                .setGroupId(groupId)
                .setStartingOffsets(OffsetsInitializer.latest())
                .setDeserializer(new KafkaRecords.ModelUpdatesDeserializer())
                .build();
    }

    /**
     * A sink with the job's transaction timeout.
     *
     * @param transactionalIdPrefix the prefix of its transactional ids, unique per sink on the Kafka cluster
     */
    public static <T> KafkaSink<T> sink(KafkaClientConfig kafka, KafkaRecordSerializationSchema<T> serializer, DeliveryGuarantee guarantee,
            String transactionalIdPrefix) {
        Properties props = kafka.toProperties();
        props.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(transactionTimeout(kafka).toMillis()));
        return KafkaSink.<T>builder()
                .setKafkaProducerConfig(props)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(guarantee)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .build();
    }

    /**
     * The sinks' transaction timeout: transaction.timeout.ms of the Kafka properties, else {@link #TRANSACTION_TIMEOUT}.
     *
     * @throws IllegalArgumentException if the properties' value is not a number of milliseconds
     */
    public static Duration transactionTimeout(KafkaClientConfig kafka) {
        String ms = kafka.toProperties().getProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);
        try {
            return ms == null ? TRANSACTION_TIMEOUT : Duration.ofMillis(Long.parseLong(ms.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG + " of the Kafka properties must be milliseconds, got " + ms);
        }
    }

    /** The client settings with isolation.level=read_committed unless they say otherwise: records written in transactions are read once committed. */
    private static Properties readCommitted(KafkaClientConfig kafka) {
        Properties props = kafka.toProperties();
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }
}
