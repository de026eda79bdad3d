package io.latentwatch.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.ThreadLeaks;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real one-node KRaft broker: transactions with read_committed, SASL/PLAIN, a taken port, and a clean stop. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EmbeddedKafkaITCase {

    private static final Duration CLIENT_BLOCK = Duration.ofSeconds(10);
    /** How long a client without credentials waits for metadata before it gives up. */
    private static final Duration ANONYMOUS_BLOCK = Duration.ofSeconds(2);

    private Set<Thread> threadsBefore;

    @BeforeEach
    void snapshotThreads() {
        threadsBefore = ThreadLeaks.snapshot();
    }

    @AfterEach
    void noThreadOutlivesTheBroker() throws InterruptedException {
        ThreadLeaks.assertNoNewThreads(threadsBefore, Duration.ofSeconds(10));
    }

    @Test
    void readCommittedSeesExactlyTheCommittedRecords() throws Exception {
        Path dataDir;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().partitions(3).start()) {
            dataDir = kafka.dataDirectory();
            assertTrue(Files.isDirectory(dataDir));
            kafka.createTopics("tx-frames");
            kafka.createTopics("tx-frames"); // existing topics are left alone

            Map<String, Object> p = producerProps(kafka.clientProperties());
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-kafka-itcase");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 60; i++) {
                    producer.send(new ProducerRecord<>("tx-frames", "cam-" + i % 4, "committed-" + i));
                }
                producer.commitTransaction();
                producer.beginTransaction();
                for (int i = 0; i < 25; i++) {
                    producer.send(new ProducerRecord<>("tx-frames", "cam-" + i % 4, "aborted-" + i));
                }
                producer.flush();
                producer.abortTransaction();
                producer.beginTransaction();
                for (int i = 60; i < 100; i++) {
                    producer.send(new ProducerRecord<>("tx-frames", "cam-" + i % 4, "committed-" + i));
                }
                producer.commitTransaction();
            }

            Map<String, Object> c = consumerProps(kafka.clientProperties(), "tx-reader");
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            List<String> values = readToEnd(c, "tx-frames", 3);
            assertEquals(100, values.size(), "read_committed records");
            assertTrue(values.stream().allMatch(v -> v.startsWith("committed-")), "only committed records");
            assertEquals(100, Set.copyOf(values).size(), "no duplicates");
            assertTrue(kafka.fatalFault().isEmpty(), () -> "fatal fault: " + kafka.fatalFault().get());
        }
        assertFalse(Files.exists(dataDir), "data directory removed on close");
    }

    @Test
    void saslAcceptsTheUserAndRefusesOthers() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().sasl("latentwatch", "pa\"ss\\word").start()) {
            assertTrue(kafka.saslEnabled());
            Map<String, Object> client = kafka.clientProperties();
            assertEquals("SASL_PLAINTEXT", client.get("security.protocol"));
            assertEquals("PLAIN", client.get("sasl.mechanism"));
            assertTrue(((String) client.get("sasl.jaas.config")).contains("username=\"latentwatch\""));
            kafka.createTopics("secured");

            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(client))) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("secured", "cam", "v" + i)).get(10, TimeUnit.SECONDS);
                }
            }
            assertEquals(10, readToEnd(consumerProps(client, "sasl-reader"), "secured", 1).size());

            long t0 = System.nanoTime();
            try (KafkaProducer<String, String> wrong = new KafkaProducer<>(producerProps(kafka.clientProperties("latentwatch", "wrong")))) {
                SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class, () -> wrong.partitionsFor("secured"));
                assertTrue(e.getMessage().contains("Invalid username or password"), e.getMessage());
            }
            try (KafkaProducer<String, String> stranger = new KafkaProducer<>(producerProps(kafka.clientProperties("mallory", "pa\"ss\\word")))) {
                assertThrows(SaslAuthenticationException.class, () -> stranger.partitionsFor("secured"));
            }
            // a client without SASL gets no answer from a SASL listener: it gives up after max.block.ms
            Map<String, Object> anonymousProps = producerProps(Map.of("bootstrap.servers", kafka.bootstrapServers()));
            anonymousProps.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) ANONYMOUS_BLOCK.toMillis());
            try (KafkaProducer<String, String> anonymous = new KafkaProducer<>(anonymousProps)) {
                assertThrows(TimeoutException.class, () -> anonymous.partitionsFor("secured"));
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(millis < ANONYMOUS_BLOCK.toMillis() + 5000, "the three refusals took " + millis + " ms");
        }
    }

    @Test
    void clientPropertiesWithCredentialsNeedSasl() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
            assertFalse(kafka.saslEnabled());
            assertEquals(Map.of("bootstrap.servers", "localhost:" + kafka.port()), kafka.clientProperties());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> kafka.clientProperties("u", "p"));
            assertTrue(e.getMessage().contains("no SASL listener"), e.getMessage());
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> kafka.createTopics("bad name"));
            assertTrue(bad.getMessage().startsWith("topic name is invalid: 'bad name' contains"), bad.getMessage());
        }
    }

    @Test
    void aTakenPortIsRefusedWithItsAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName(EmbeddedKafka.HOST))) {
            int port = taken.getLocalPort();
            BindException e = assertThrows(BindException.class, () -> EmbeddedKafka.builder().port(port).start());
            assertTrue(e.getMessage().startsWith("cannot listen on localhost:" + port), e.getMessage());
        }
    }

    @Test
    void aBadBrokerPropertyIsRefusedBeforeAnythingStarts() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> EmbeddedKafka.builder().brokerProperty("num.io.threads", "many").start());
        assertTrue(e.getMessage().contains("num.io.threads"), e.getMessage());
    }

    @Test
    void closeIsIdempotent() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.builder().start();
        kafka.close();
        kafka.close();
        assertFalse(Files.exists(kafka.dataDirectory()));
    }

    private static Map<String, Object> producerProps(Map<String, Object> client) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) CLIENT_BLOCK.toMillis());
        return p;
    }

    private static Map<String, Object> consumerProps(Map<String, Object> client, String group) {
        Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        return c;
    }

    /** Every value in the topic up to its end offsets (the last stable offsets under read_committed). */
    private static List<String> readToEnd(Map<String, Object> props, String topic, int partitions) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            tps.add(new TopicPartition(topic, i));
        }
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.assign(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(10));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (tps.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(10)) < end.get(tp))) {
                assertTrue(System.nanoTime() < deadline, "not at the end offsets " + end + " within 30 s");
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }
}
