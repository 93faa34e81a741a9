/** @odoo-module **/
// "Lead Management" overview: the figures a manager looks at every week, against their targets, and the
// reports' pivots and graphs in one place. Every figure opens the leads behind it.

import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { View } from "@web/views/view";

export class LeadDashboard extends Component {
    static template = "lead_management.Dashboard";
    static components = { View };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null, months: 12 });
        onWillStart(() => this.load(this.state.months));
    }

    async load(months) {
        this.state.data = await this.orm.call("lead.management.dashboard", "get_dashboard", [], { months });
        this.state.months = this.state.data.months;
    }

    async onPeriodChange(ev) {
        await this.load(parseInt(ev.target.value));
    }

    async openTile(tile) {
        const action = await this.orm.call(tile.model, "action_open_leads", [tile.domain]);
        return this.action.doAction(action);
    }

    openReport(view) {
        return this.action.doAction(view.action);
    }

    viewProps(view) {
        return {
            resModel: view.resModel,
            type: view.type,
            viewId: view.viewId,
            views: [[view.viewId, view.type], [false, "search"]],
            domain: view.domain,
            context: view.context,
            display: { controlPanel: false },
        };
    }
}

registry.category("actions").add("lead_management.dashboard", LeadDashboard);
