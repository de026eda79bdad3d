package io.latentwatch.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.tracker.Tracker;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Training must not depend on when the garbage collector runs. DJL's scalar ops ({@code mul(Number)}) and arrays made
 * with {@code create(...)} alias Java direct buffers that are freed once their one wrapper is gone, while autograd
 * still holds the tensor for backward; with a collector running all the time, two runs from the same seed then
 * drift apart or diverge (seen before the fix: loss 409 vs NaN after 30 steps).
 */
class DipVaeTrainerTest {

    private static final DipVaeConfig CONFIG =
            DipVaeConfig.builder().inChannels(1).imageSize(32).latentDim(8).hiddenDims(8, 16, 32).build();

    @Test
    void sameSeedSameLossesWhileTheGarbageCollectorRuns() throws Exception {
        float[] pixels = new float[16 * 1024];
        Random r = new Random(3);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) Math.tanh(r.nextGaussian());
        }
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "gc-pressure");
        collector.setDaemon(true);
        collector.start();
        try {
            double[] first = losses(pixels);
            double[] second = losses(pixels);
            assertArrayEquals(first, second, "loss after each step, two runs from seed 1");
        } finally {
            collector.interrupt();
            collector.join();
        }
    }

    private static double[] losses(float[] pixels) {
        double[] out = new double[30];
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(1);
            DipVae model = new DipVae(CONFIG).initialize(manager);
            DipVaeTrainer trainer = new DipVaeTrainer(model, manager, Tracker.fixed(3e-3f));
            for (int s = 0; s < out.length; s++) {
                out[s] = trainer.step(pixels, 16).total;
            }
        }
        return out;
    }
}
