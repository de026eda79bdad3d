package io.latentwatch.console;

import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.pipeline.kafka.RawFrame;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer thread that reads the four topics into the {@link ConsoleState}. It assigns every partition itself (no
 * consumer group: the console commits nothing and takes nothing from the job's groups) and reads {@code
 * read_committed}, because the job's sinks write in Kafka transactions in exactly-once mode: records of aborted
 * transactions never show. model-updates is read from its start (the whole timeline); the other topics from
 * {@code lookback} before now. Partitions and topics that appear later are picked up every {@link #DISCOVERY}.
 */
final class TopicReader implements AutoCloseable {

    /** How often the reader looks for topics and partitions it does not read yet. */
    static final Duration DISCOVERY = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(TopicReader.class);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ConsoleTopics topics;
    private final Duration lookback;
    private final ConsoleState state;
    private final Clock clock;
    private final Thread thread;
    private final Set<TopicPartition> assigned = new HashSet<>();
    private volatile boolean running = true;

    /** Creates the consumer (a bad setting fails here); {@link #start()} starts reading. */
    TopicReader(KafkaClientConfig client, ConsoleTopics topics, Duration lookback, ConsoleState state, Clock clock) {
        Properties p = client.toProperties();
        p.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "latentwatch-console");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // the console only watches: it must not create a topic that is missing, and seeks every partition itself
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        this.consumer = new KafkaConsumer<>(p);
        this.topics = topics;
        this.lookback = lookback;
        this.state = state;
        this.clock = clock;
        this.thread = new Thread(this::run, "latentwatch-console-reader");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        long nextDiscovery = 0;
        try {
            while (running) {
                if (System.nanoTime() - nextDiscovery >= 0) {
                    discover();
                    nextDiscovery = System.nanoTime() + DISCOVERY.toNanos();
                }
                if (assigned.isEmpty()) {
                    Thread.sleep(POLL.toMillis());
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    dispatch(r);
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // close() asked us to stop
        } catch (RuntimeException e) {
            LOG.error("the console stopped reading Kafka: {}", e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return;
        }
        String topic = r.topic();
        if (topic.equals(topics.frames())) {
            state.onFrame(RawFrame.of(r).frameId(), r.value());
        } else if (topic.equals(topics.alerts())) {
            state.onAlert(new String(r.value(), StandardCharsets.UTF_8));
        } else if (topic.equals(topics.latents())) {
            state.onLatents(new String(r.value(), StandardCharsets.UTF_8));
        } else if (topic.equals(topics.modelUpdates())) {
            state.onModelUpdate(new String(r.value(), StandardCharsets.UTF_8));
        }
    }

    /** Assigns the partitions not read yet, each seeked where its topic starts to be read. */
    private void discover() {
        List<TopicPartition> found = new ArrayList<>();
        for (String topic : topics.all()) {
            try {
                List<PartitionInfo> partitions = consumer.partitionsFor(topic, METADATA_TIMEOUT);
                for (PartitionInfo info : partitions == null ? List.<PartitionInfo>of() : partitions) {
                    TopicPartition tp = new TopicPartition(info.topic(), info.partition());
                    if (!assigned.contains(tp)) {
                        found.add(tp);
                    }
                }
            } catch (WakeupException e) {
                throw e;
            } catch (KafkaException e) {
                LOG.debug("cannot list the partitions of {} yet: {}", topic, e.getMessage());
            }
        }
        if (found.isEmpty()) {
            return;
        }
        List<TopicPartition> all = new ArrayList<>(assigned);
        all.addAll(found);
        consumer.assign(all);
        assigned.addAll(found);
        seek(found);
    }

    private void seek(List<TopicPartition> partitions) {
        List<TopicPartition> fromStart = partitions.stream().filter(tp -> tp.topic().equals(topics.modelUpdates())).toList();
        consumer.seekToBeginning(fromStart);
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = clock.millis() - lookback.toMillis();
        partitions.stream().filter(tp -> !fromStart.contains(tp)).forEach(tp -> since.put(tp, from));
        if (since.isEmpty()) {
            return;
        }
        try {
            Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(since, METADATA_TIMEOUT);
            List<TopicPartition> nothingSince = new ArrayList<>();
            offsets.forEach((tp, at) -> {
                if (at == null) {
                    nothingSince.add(tp);
                } else {
                    consumer.seek(tp, at.offset());
                }
            });
            consumer.seekToEnd(nothingSince);
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            // auto.offset.reset=latest: they are read from their end on
            LOG.warn("cannot find the offsets of {} from {} ago ({}); reading them from now on", since.keySet(), lookback, e.getMessage());
        }
    }

    /** Stops the thread and closes the consumer. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        if (thread.isAlive()) {
            thread.join(Duration.ofSeconds(15).toMillis());
        } else if (thread.getState() == Thread.State.NEW) {
            consumer.close(Duration.ZERO);
        }
    }
}
