package io.latentwatch.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {

    private static TrainingProgress at(int step, double validationMse) {
        return new TrainingProgress(3, 20, step, 10, 40.95, 118.7, 0.0121, 0.00502, 41.82, 9.1e-4, 912, 72, validationMse);
    }

    @Test
    void aLogGetsOneLinePerEpochAndNoCarriageReturns() {
        StringWriter out = new StringWriter();
        ConsoleProgress p = new ConsoleProgress(new PrintWriter(out), false);
        p.message("loading");
        for (int s = 1; s <= 10; s++) {
            p.step(at(s, Double.NaN));
        }
        p.epoch(at(10, 0.01021));
        String text = out.toString();
        assertFalse(text.contains("\r"), text);
        assertEquals(2, text.lines().count(), text);
        assertEquals("epoch  3/20  loss 41.82  recons 40.95  kld 118.7  offdiag 0.0121  diag 0.00502  val mse 0.010210  lr 9.1e-04  "
                + "912 frames/s  1m12s", text.lines().skip(1).findFirst().orElseThrow());
    }

    @Test
    void aTerminalGetsABarRedrawnInPlace() {
        StringWriter out = new StringWriter();
        ConsoleProgress p = new ConsoleProgress(new PrintWriter(out), true);
        p.step(at(5, Double.NaN));
        p.epoch(at(10, 0.01021));
        String text = out.toString();
        assertTrue(text.startsWith("\repoch  3/20 [=========>          ]  50%  loss 41.82"), text);
        assertTrue(text.contains("912 frames/s"), text);
        assertTrue(text.endsWith("1m12s" + System.lineSeparator()), text);
    }
}
